import { isObject, type Template } from './template';

/**
 * A SAM resource's properties with the template's Globals applied, by SAM's rules: maps merge
 * (the resource wins per key), lists concatenate (globals first), scalars are overridden.
 */
export function withGlobals(
  template: Template,
  section: 'Function' | 'Api' | 'HttpApi' | 'SimpleTable' | 'LayerVersion',
  properties: Record<string, unknown> | undefined,
): Record<string, unknown> {
  return merge(template.Globals?.[section] ?? {}, properties ?? {}) as Record<string, unknown>;
}

function merge(global: unknown, local: unknown): unknown {
  if (local === undefined) return global;
  if (isIntrinsic(global) || isIntrinsic(local)) return local;
  if (isObject(global) && isObject(local)) {
    const out: Record<string, unknown> = { ...global };
    for (const [k, v] of Object.entries(local)) out[k] = merge(global[k], v);
    return out;
  }
  if (Array.isArray(global) && Array.isArray(local)) return [...global, ...local];
  return local;
}

/** `{Ref: …}` or `{"Fn::…": …}`: a value CloudFormation computes at deploy time. */
export function isIntrinsic(v: unknown): v is Record<string, unknown> {
  if (!isObject(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0] === 'Condition' || keys[0]!.startsWith('Fn::'));
}
