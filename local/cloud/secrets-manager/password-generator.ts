import { randomInt } from 'node:crypto';
import { AwsError, validation } from '../aws-json-protocol';

/**
 * Secrets Manager's GetRandomPassword: the character classes, defaults, limits and errors of the API
 * reference, drawn with `crypto.randomInt` (uniform, no modulo bias).
 */

export const LOWERCASE = 'abcdefghijklmnopqrstuvwxyz';
export const UPPERCASE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
export const DIGITS = '0123456789';
/** The 32 printable ASCII punctuation characters the API reference lists for ExcludePunctuation. */
export const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

export const DEFAULT_PASSWORD_LENGTH = 32;
export const MAX_PASSWORD_LENGTH = 4096;

/** The GetRandomPassword request, with the API's member names. */
export interface PasswordOptions {
  PasswordLength?: number;
  ExcludeCharacters?: string;
  ExcludeNumbers?: boolean;
  ExcludePunctuation?: boolean;
  ExcludeUppercase?: boolean;
  ExcludeLowercase?: boolean;
  IncludeSpace?: boolean;
  RequireEachIncludedType?: boolean;
}

/**
 * The character classes the options leave in play, each already stripped of ExcludeCharacters. A
 * class every character of which ExcludeCharacters names is left out, so it is never required.
 * Only the four documented types (lowercase, uppercase, number, punctuation) can be required; the
 * space is an allowed character, not a required type.
 */
export function characterClasses(options: PasswordOptions = {}): { required: string[]; all: string } {
  const excluded = new Set(options.ExcludeCharacters ?? '');
  const keep = (chars: string) => [...chars].filter((c) => !excluded.has(c)).join('');
  const types = [
    options.ExcludeLowercase ? '' : keep(LOWERCASE),
    options.ExcludeUppercase ? '' : keep(UPPERCASE),
    options.ExcludeNumbers ? '' : keep(DIGITS),
    options.ExcludePunctuation ? '' : keep(PUNCTUATION),
  ].filter((chars) => chars.length > 0);
  const space = options.IncludeSpace ? keep(' ') : '';
  return { required: types, all: types.join('') + space };
}

/** One password, or the AwsError GetRandomPassword answers for these options. */
export function generatePassword(options: PasswordOptions = {}): string {
  const length = options.PasswordLength ?? DEFAULT_PASSWORD_LENGTH;
  if (!Number.isInteger(length))
    throw new AwsError('SerializationException', 'PasswordLength must be an integer');
  if (length < 1) {
    throw validation(
      `1 validation error detected: Value '${length}' at 'passwordLength' failed to satisfy constraint: Member must have value greater than or equal to 1`,
    );
  }
  if (length > MAX_PASSWORD_LENGTH) {
    throw validation(
      `1 validation error detected: Value '${length}' at 'passwordLength' failed to satisfy constraint: Member must have value less than or equal to ${MAX_PASSWORD_LENGTH}`,
    );
  }
  if ((options.ExcludeCharacters ?? '').length > MAX_PASSWORD_LENGTH) {
    throw validation(
      `1 validation error detected: Value at 'excludeCharacters' failed to satisfy constraint: Member must have length less than or equal to ${MAX_PASSWORD_LENGTH}`,
    );
  }
  const { required, all } = characterClasses(options);
  if (all.length === 0) {
    throw new AwsError(
      'InvalidParameterException',
      'No characters are left to generate a password from: the options exclude every character type.',
    );
  }
  const mustInclude = (options.RequireEachIncludedType ?? true) ? required : [];
  if (length < mustInclude.length) {
    throw new AwsError(
      'InvalidParameterException',
      'Password length is too short based on the required types.',
    );
  }
  const pick = (chars: string) => chars[randomInt(chars.length)]!;
  const password = mustInclude.map(pick);
  while (password.length < length) password.push(pick(all));
  // Fisher–Yates, so the required characters land at uniformly random positions.
  for (let i = password.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [password[i], password[j]] = [password[j]!, password[i]!];
  }
  return password.join('');
}
