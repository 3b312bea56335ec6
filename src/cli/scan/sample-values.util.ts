import { randomUUID } from 'node:crypto';
import type { JsonSchema } from './scan.types';

function firstExample(schema: JsonSchema): unknown {
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  return undefined;
}

function typeOf(schema: JsonSchema): string | undefined {
  if (Array.isArray(schema.type)) return schema.type.find((t) => t !== 'null');
  if (schema.type) return schema.type;
  if (schema.properties) return 'object';
  if (schema.items) return 'array';
  return undefined;
}

function sampleString(schema: JsonSchema, name: string): string {
  switch (schema.format) {
    case 'email':
      return 'rampart-scan@example.com';
    case 'uri':
    case 'url':
      return 'https://example.com/';
    case 'uuid':
      return randomUUID();
    case 'date-time':
      return new Date().toISOString();
    case 'date':
      return new Date().toISOString().slice(0, 10);
    case 'byte':
      return Buffer.from('rampart').toString('base64');
  }
  let value = /url|uri|link/i.test(name) ? 'https://example.com/' : 'rampart-scan';
  if (schema.maxLength !== undefined && value.length > schema.maxLength)
    value = value.slice(0, Math.max(1, schema.maxLength));
  if (schema.minLength !== undefined && value.length < schema.minLength) value = value.padEnd(schema.minLength, 'x');
  return value;
}

/**
 * A plausible value for a JSON schema: its example, default or first enum value, else a value of
 * the right type within the declared bounds. Objects get every declared, writable property.
 *
 * @internal
 */
export function sampleValue(schema: JsonSchema | undefined, name = '', depth = 0): unknown {
  if (!schema || depth > 6) return 'rampart-scan';
  const example = firstExample(schema);
  if (example !== undefined) return example;
  const merged: JsonSchema = schema.allOf
    ? { ...schema, properties: schemaProperties(schema), type: schema.type ?? 'object' }
    : schema;
  const variant = merged.oneOf?.[0] ?? merged.anyOf?.[0];
  if (variant) return sampleValue(variant, name, depth + 1);
  switch (typeOf(merged)) {
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, prop] of Object.entries(merged.properties ?? {}))
        if (!prop.readOnly) out[key] = sampleValue(prop, key, depth + 1);
      return out;
    }
    case 'array':
      return [sampleValue(merged.items, name, depth + 1)];
    case 'integer':
    case 'number':
      return merged.minimum !== undefined ? Math.max(merged.minimum, Math.min(1, merged.maximum ?? 1)) : 1;
    case 'boolean':
      return false;
    default:
      return sampleString(merged, name);
  }
}

/** The declared property names of an object schema (through allOf). @internal */
export function schemaProperties(schema: JsonSchema | undefined): Record<string, JsonSchema> {
  if (!schema) return {};
  const parts = [schema, ...(schema.allOf ?? [])];
  return Object.assign({}, ...parts.map((s) => s.properties ?? {}));
}
