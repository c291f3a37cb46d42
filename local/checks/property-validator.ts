import { isIntrinsic } from '../template/sam-globals';
import { isObject } from '../template/template';
import { cfnTypeDefinition, type PropertyType } from './cfn-spec';

/**
 * Validates one property value against its CloudFormation type: unknown keys at any depth, required
 * keys, and the value's kind (object / list / scalar). A value computed by an intrinsic function is
 * accepted as any type here; the references check resolves it.
 */
export function validateValue(value: unknown, types: PropertyType[], where: string): string[] {
  if (isIntrinsic(value)) {
    const fnIf = value['Fn::If'];
    if (Array.isArray(fnIf) && fnIf.length === 3) {
      return [fnIf[1], fnIf[2]].flatMap((branch, i) =>
        isNoValue(branch) ? [] : validateValue(branch, types, `${where}(Fn::If branch ${i + 1})`),
      );
    }
    return [];
  }
  let best: string[] | undefined;
  for (const type of types) {
    const problems = validateOne(value, type, where);
    if (problems.length === 0) return [];
    if (!best || problems.length < best.length) best = problems;
  }
  return best ?? [];
}

const isNoValue = (v: unknown): boolean => isObject(v) && v.Ref === 'AWS::NoValue';

function describe(v: unknown): string {
  if (Array.isArray(v)) return 'a list';
  if (isObject(v)) return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function validateOne(value: unknown, type: PropertyType, where: string): string[] {
  switch (type.type) {
    case 'string':
    case 'date-time':
      // CloudFormation turns numbers and booleans into strings where a string is expected.
      return ['string', 'number', 'boolean'].includes(typeof value)
        ? []
        : [`${where}: expected a string, got ${describe(value)}`];
    case 'number':
    case 'integer':
      return typeof value === 'number' || (typeof value === 'string' && value.trim() !== '' && !isNaN(+value))
        ? []
        : [`${where}: expected a number, got ${describe(value)}`];
    case 'boolean':
      return typeof value === 'boolean' || value === 'true' || value === 'false'
        ? []
        : [`${where}: expected true or false, got ${describe(value)}`];
    case 'json':
    case 'null':
      return [];
    case 'tag':
      return isObject(value) && 'Key' in value && 'Value' in value
        ? []
        : [`${where}: expected a tag {Key, Value}, got ${describe(value)}`];
    case 'array':
      if (!Array.isArray(value)) return [`${where}: expected a list, got ${describe(value)}`];
      return value.flatMap((item, i) => validateValue(item, [type.element], `${where}[${i}]`));
    case 'map':
      if (!isObject(value)) return [`${where}: expected a mapping, got ${describe(value)}`];
      return Object.entries(value).flatMap(([k, v]) => validateValue(v, [type.element], `${where}.${k}`));
    case 'union':
      return validateValue(value, type.types, where);
    case 'ref': {
      if (!isObject(value)) return [`${where}: expected a mapping, got ${describe(value)}`];
      const definition = cfnTypeDefinition(type.reference.$ref);
      return validateObject(value, definition.properties, where, definition.name);
    }
    default:
      return [];
  }
}

export interface PropertySpec {
  type: PropertyType;
  previousTypes?: PropertyType[];
  required?: boolean;
}

/** Validates a mapping of properties against a CloudFormation property table. */
export function validateObject(
  value: Record<string, unknown>,
  properties: Record<string, PropertySpec>,
  where: string,
  typeName: string,
): string[] {
  const problems: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    const prop = properties[key];
    if (!prop) {
      problems.push(
        `${where}.${key}: unknown property of ${typeName} (known: ${Object.keys(properties).sort().join(', ')})`,
      );
      continue;
    }
    problems.push(...validateValue(v, [prop.type, ...(prop.previousTypes ?? [])], `${where}.${key}`));
  }
  for (const [key, prop] of Object.entries(properties)) {
    if (prop.required && !(key in value)) problems.push(`${where}: ${typeName} requires property ${key}`);
  }
  return problems;
}
