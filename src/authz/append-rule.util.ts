/**
 * Appends `rule` to a list on the method (or class), keeping declaration order. Writes metadata
 * only.
 *
 * @internal
 */
export function appendRule<R>(key: string, rule: R): MethodDecorator & ClassDecorator {
  return (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    const holder = (descriptor?.value ?? target) as object;
    const existing = (Reflect.getOwnMetadata(key, holder) as R[] | undefined) ?? [];
    // Decorators apply bottom-up: prepend so the list reads top-down.
    Reflect.defineMetadata(key, [rule, ...existing], holder);
  };
}
