/** Lambda function references: names, partial and full ARNs, with or without a qualifier. */

/** `name`, `name:qual`, `123456789012:function:name[:qual]`, `arn:aws:lambda:…:function:name[:qual]` → `name`. */
export function unqualifiedName(ref: string): string {
  const parts = ref.split(':');
  const at = parts.indexOf('function');
  return at >= 0 && parts[at + 1] ? parts[at + 1]! : parts[0]!;
}

/** The function name and unqualified ARN a service's Lambda ARN belongs to. */
export function functionOfArn(arn: string): { name: string; arn: string } | undefined {
  const parts = arn.split(':');
  if (parts.length < 7 || parts[2] !== 'lambda' || parts[5] !== 'function') return undefined;
  return { name: parts[6]!, arn: parts.slice(0, 7).join(':') };
}

/** `arn:aws:lambda:eu-west-1:123456789012:function:` for any function ARN of that account and region. */
export function functionArnPrefix(arn: string): string | undefined {
  const fn = functionOfArn(arn);
  return fn && fn.arn.slice(0, fn.arn.length - fn.name.length);
}
