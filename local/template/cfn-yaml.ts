import {
  parseDocument,
  isSeq,
  isMap,
  type ScalarTag,
  type CollectionTag,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml';

/**
 * CloudFormation's short-form intrinsic tags (`!Ref`, `!GetAtt`, `!Sub` …) turned into their long
 * JSON form, so every check sees one shape whatever the author wrote.
 */
const FUNCTION_TAGS = [
  'Base64',
  'Cidr',
  'FindInMap',
  'GetAZs',
  'ImportValue',
  'Join',
  'Select',
  'Split',
  'Sub',
  'Transform',
  'And',
  'Equals',
  'If',
  'Not',
  'Or',
  'ToJsonString',
  'Length',
] as const;

type Long = Record<string, unknown>;

function longForm(tag: string, value: unknown): Long {
  if (tag === 'Ref' || tag === 'Condition') return { [tag]: value };
  if (tag === 'GetAtt' && typeof value === 'string') {
    // `!GetAtt Resource.Attr.With.Dots` splits on the first dot only.
    const dot = value.indexOf('.');
    return { 'Fn::GetAtt': dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)] };
  }
  return { [`Fn::${tag}`]: value };
}

function tagsFor(name: string): Array<ScalarTag | CollectionTag> {
  const tag = `!${name}`;
  return [
    { tag, resolve: (str: string) => longForm(name, str) },
    {
      tag,
      collection: 'seq',
      resolve: (seq: YAMLSeq) => longForm(name, seq.toJSON()) as unknown as YAMLSeq,
    } as unknown as CollectionTag,
    {
      tag,
      collection: 'map',
      resolve: (map: YAMLMap) => longForm(name, map.toJSON()) as unknown as YAMLMap,
    } as unknown as CollectionTag,
  ];
}

const CFN_TAGS = ['Ref', 'Condition', 'GetAtt', ...FUNCTION_TAGS].flatMap(tagsFor);

export class TemplateSyntaxError extends Error {}

/** Parses a CloudFormation / SAM / serverless.yml document; syntax errors name the file, line and column. */
export function parseCfnYaml(text: string, file: string): unknown {
  const doc = parseDocument(text, { customTags: CFN_TAGS, prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const where = first.linePos ? `${file}:${first.linePos[0].line}:${first.linePos[0].col}` : file;
    throw new TemplateSyntaxError(`${where}: ${first.message.split('\n')[0]}`);
  }
  if (!isMap(doc.contents) && !isSeq(doc.contents) && doc.contents !== null) {
    throw new TemplateSyntaxError(`${file}: expected a mapping at the top level`);
  }
  return doc.toJS({ maxAliasCount: 100 });
}
