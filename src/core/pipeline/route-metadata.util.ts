import type { ModulesContainer } from '@nestjs/core';

/**
 * Answers "does any route of the application carry this metadata key?", from the classes Nest
 * has scanned (controllers, and providers such as GraphQL resolvers): on the class itself or on
 * one of its prototype methods. Computed once per key, at boot.
 *
 * Used to attach a global interceptor only when some route asks for it: an interceptor that is
 * registered at all makes Nest wrap every handler in an RxJS chain, even where it does nothing.
 *
 * @internal
 */
export function routeMetadataLookup(modules: ModulesContainer): (key: string) => boolean {
  const answers = new Map<string, boolean>();
  return (key) => {
    let found = answers.get(key);
    if (found === undefined) {
      found = scan(modules, key);
      answers.set(key, found);
    }
    return found;
  };
}

function scan(modules: ModulesContainer, key: string): boolean {
  for (const module of modules.values()) {
    for (const collection of [module.controllers, module.providers]) {
      for (const wrapper of collection.values()) {
        const type: unknown = wrapper.metatype;
        if (typeof type === 'function' && hasMetadata(type, key)) return true;
      }
    }
  }
  return false;
}

/** On the class, or on a method of it or of a base class (inherited routes count). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
function hasMetadata(type: Function, key: string): boolean {
  if (Reflect.getMetadata(key, type) !== undefined) return true;
  let proto: unknown = type.prototype;
  while (proto !== null && typeof proto === 'object' && proto !== Object.prototype) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor') continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (typeof descriptor?.value === 'function' && Reflect.getMetadata(key, descriptor.value) !== undefined) {
        return true;
      }
    }
    proto = Object.getPrototypeOf(proto);
  }
  return false;
}
