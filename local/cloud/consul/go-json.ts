/**
 * Decoding a request body the way Consul's Go HTTP handlers do, so that bad input gets Go's error
 * texts: `json.Decoder.Decode` (reads the first JSON value; syntax errors as `encoding/json` words
 * them, "EOF" for an empty body, "unexpected EOF" for a truncated one) and, for typed bodies,
 * `DisallowUnknownFields` plus Go's type errors ("json: cannot unmarshal string into Go struct field
 * NodeService.Service.Port of type int"). Field names match case-insensitively, as in Go.
 */

export class GoJsonError extends Error {}

/** encoding/json's quoteChar. */
function quoteChar(c: string): string {
  if (c === "'") return `'\\''`;
  if (c === '"') return `'"'`;
  const q = JSON.stringify(c);
  return `'${q.slice(1, -1)}'`;
}

const WS = new Set([' ', '\t', '\n', '\r']);

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  private fail(c: string, context: string): never {
    throw new GoJsonError(`invalid character ${quoteChar(c)} ${context}`);
  }

  private eof(): never {
    throw new GoJsonError('unexpected EOF');
  }

  private ws(): void {
    while (this.pos < this.text.length && WS.has(this.text[this.pos]!)) this.pos++;
  }

  top(): unknown {
    this.ws();
    if (this.pos >= this.text.length) throw new GoJsonError('EOF');
    return this.value('looking for beginning of value');
  }

  private value(context: string): unknown {
    this.ws();
    const c = this.peek();
    if (c === undefined) this.eof();
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === '-' || (c >= '0' && c <= '9')) return this.number();
    if (c === 't') return this.literal('true', true);
    if (c === 'f') return this.literal('false', false);
    if (c === 'n') return this.literal('null', null);
    return this.fail(c, context);
  }

  private object(): Record<string, unknown> {
    this.pos++; // {
    const out: Record<string, unknown> = {};
    this.ws();
    if (this.peek() === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      this.ws();
      const c = this.peek();
      if (c === undefined) this.eof();
      if (c !== '"') this.fail(c, 'looking for beginning of object key string');
      const key = this.string();
      this.ws();
      const colon = this.peek();
      if (colon === undefined) this.eof();
      if (colon !== ':') this.fail(colon, 'after object key');
      this.pos++;
      out[key] = this.value('looking for beginning of value');
      this.ws();
      const next = this.peek();
      if (next === undefined) this.eof();
      this.pos++;
      if (next === '}') return out;
      if (next !== ',') this.fail(next, 'after object key:value pair');
    }
  }

  private array(): unknown[] {
    this.pos++; // [
    const out: unknown[] = [];
    this.ws();
    if (this.peek() === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.value('looking for beginning of value'));
      this.ws();
      const next = this.peek();
      if (next === undefined) this.eof();
      this.pos++;
      if (next === ']') return out;
      if (next !== ',') this.fail(next, 'after array element');
    }
  }

  private string(): string {
    const start = this.pos;
    this.pos++; // opening quote
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.eof();
      if (c === '"') {
        this.pos++;
        return JSON.parse(this.text.slice(start, this.pos)) as string;
      }
      if (c < ' ') this.fail(c, 'in string literal');
      if (c === '\\') {
        this.pos++;
        const e = this.peek();
        if (e === undefined) this.eof();
        if (e === 'u') {
          for (let i = 1; i <= 4; i++) {
            const h = this.text[this.pos + i];
            if (h === undefined) {
              this.pos += i;
              this.eof();
            }
            if (!/[0-9a-fA-F]/.test(h)) this.fail(h, 'in \\u hexadecimal character escape');
          }
          this.pos += 5;
          continue;
        }
        if (!'"\\/bfnrt'.includes(e)) this.fail(e, 'in string escape code');
      }
      this.pos++;
    }
  }

  private number(): number {
    const start = this.pos;
    const digit = (ch: string | undefined) => ch !== undefined && ch >= '0' && ch <= '9';
    if (this.peek() === '-') {
      this.pos++;
      const c = this.peek();
      if (c === undefined) this.eof();
      if (!digit(c)) this.fail(c, 'in numeric literal');
    }
    if (this.peek() === '0') this.pos++;
    else while (digit(this.peek())) this.pos++;
    if (this.peek() === '.') {
      this.pos++;
      const c = this.peek();
      if (c === undefined) this.eof();
      if (!digit(c)) this.fail(c, 'after decimal point in numeric literal');
      while (digit(this.peek())) this.pos++;
    }
    if (this.peek() === 'e' || this.peek() === 'E') {
      this.pos++;
      if (this.peek() === '+' || this.peek() === '-') this.pos++;
      const c = this.peek();
      if (c === undefined) this.eof();
      if (!digit(c)) this.fail(c, 'in exponent of numeric literal');
      while (digit(this.peek())) this.pos++;
    }
    return Number(this.text.slice(start, this.pos));
  }

  private literal<T>(word: string, value: T): T {
    for (let i = 0; i < word.length; i++) {
      const c = this.text[this.pos + i];
      if (c === undefined) {
        this.pos += i;
        this.eof();
      }
      if (c !== word[i]) this.fail(c, `in literal ${word} (expecting ${quoteChar(word[i]!)})`);
    }
    this.pos += word.length;
    return value;
  }
}

/** `json.NewDecoder(body).Decode(&raw)`: the first JSON value, or Go's syntax error text. */
export function goDecode(text: string): unknown {
  return new Scanner(text).top();
}

// ---------------------------------------------------------------------------------------------
// Typed decoding (DisallowUnknownFields + UnmarshalTypeError)
// ---------------------------------------------------------------------------------------------

export type GoType =
  | { kind: 'string' }
  | { kind: 'bool' }
  | { kind: 'int' }
  | { kind: 'uint64' }
  | { kind: 'any' }
  | { kind: 'map'; elem: GoType; goName: string }
  | { kind: 'slice'; elem: GoType; goName: string }
  | { kind: 'struct'; name: string; fields: Record<string, GoType> };

export const T = {
  string: { kind: 'string' } as GoType,
  bool: { kind: 'bool' } as GoType,
  int: { kind: 'int' } as GoType,
  uint64: { kind: 'uint64' } as GoType,
  any: { kind: 'any' } as GoType,
  stringMap: { kind: 'map', elem: { kind: 'string' }, goName: 'map[string]string' } as GoType,
  stringSlice: { kind: 'slice', elem: { kind: 'string' }, goName: '[]string' } as GoType,
  struct: (name: string, fields: Record<string, GoType>): GoType => ({ kind: 'struct', name, fields }),
};

function goTypeName(t: GoType): string {
  switch (t.kind) {
    case 'map':
    case 'slice':
      return t.goName;
    case 'struct':
      return `structs.${t.name}`;
    case 'any':
      return 'interface {}';
    default:
      return t.kind;
  }
}

function jsonKind(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'object') return 'object';
  if (typeof v === 'boolean') return 'bool';
  return typeof v; // string | number
}

interface Ctx {
  struct: string;
  path: string[];
  firstError?: string;
}

function typeError(ctx: Ctx, value: string, t: GoType): void {
  if (ctx.firstError) return;
  const where = ctx.path.length
    ? ` into Go struct field ${ctx.struct}.${ctx.path.join('.')}`
    : ' into Go value';
  ctx.firstError = `json: cannot unmarshal ${value}${where} of type ${goTypeName(t)}`;
}

function decodeInto(v: unknown, t: GoType, ctx: Ctx): unknown {
  if (v === null) return undefined; // null leaves Go's zero value
  switch (t.kind) {
    case 'any':
      return v;
    case 'string':
      if (typeof v !== 'string') return typeError(ctx, jsonKind(v), t);
      return v;
    case 'bool':
      if (typeof v !== 'boolean') return typeError(ctx, jsonKind(v), t);
      return v;
    case 'int':
    case 'uint64':
      if (typeof v !== 'number') return typeError(ctx, jsonKind(v), t);
      if (!Number.isInteger(v) || (t.kind === 'uint64' && v < 0)) return typeError(ctx, `number ${v}`, t);
      return v;
    case 'slice': {
      if (!Array.isArray(v)) return typeError(ctx, jsonKind(v), t);
      return v.map((item) => decodeInto(item, t.elem, ctx) ?? zero(t.elem));
    }
    case 'map': {
      if (typeof v !== 'object' || Array.isArray(v)) return typeError(ctx, jsonKind(v), t);
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v as Record<string, unknown>))
        out[k] = decodeInto(item, t.elem, ctx) ?? zero(t.elem);
      return out;
    }
    case 'struct': {
      if (typeof v !== 'object' || Array.isArray(v)) return typeError(ctx, jsonKind(v), t);
      const out: Record<string, unknown> = {};
      const byLower = new Map(Object.keys(t.fields).map((f) => [f.toLowerCase(), f]));
      for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
        const field = k in t.fields ? k : byLower.get(k.toLowerCase());
        if (field === undefined) {
          if (!ctx.firstError) ctx.firstError = `json: unknown field ${JSON.stringify(k)}`;
          continue;
        }
        const saved = ctx.struct;
        ctx.struct = t.name;
        ctx.path.push(field);
        const decoded = decodeInto(item, t.fields[field]!, ctx);
        ctx.path.pop();
        ctx.struct = saved;
        if (decoded !== undefined) out[field] = decoded;
      }
      return out;
    }
  }
}

function zero(t: GoType): unknown {
  switch (t.kind) {
    case 'string':
      return '';
    case 'bool':
      return false;
    case 'int':
    case 'uint64':
      return 0;
    default:
      return null;
  }
}

/**
 * Decode `text` into a Go struct type with `DisallowUnknownFields`: syntax errors first, then the
 * first type or unknown-field error in document order (Go saves the first and keeps going).
 */
export function goDecodeStrict<R>(text: string, t: GoType): R {
  const raw = goDecode(text);
  const ctx: Ctx = { struct: t.kind === 'struct' ? t.name : '', path: [] };
  const out = decodeInto(raw, t, ctx);
  if (ctx.firstError) throw new GoJsonError(ctx.firstError);
  return (out ?? {}) as R;
}
