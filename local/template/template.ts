import { readFileSync } from 'node:fs';
import { parseCfnYaml, TemplateSyntaxError } from './cfn-yaml';

export interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DependsOn?: string | string[];
  Condition?: string;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
  CreationPolicy?: unknown;
  UpdatePolicy?: unknown;
}

export interface Parameter {
  Type: string;
  Default?: unknown;
  AllowedValues?: unknown[];
  Description?: string;
  [key: string]: unknown;
}

export interface Template {
  AWSTemplateFormatVersion?: string;
  Transform?: string | string[];
  Description?: string;
  Metadata?: Record<string, unknown>;
  Parameters?: Record<string, Parameter>;
  Mappings?: Record<string, Record<string, Record<string, unknown>>>;
  Conditions?: Record<string, unknown>;
  Globals?: Record<string, Record<string, unknown>>;
  Resources: Record<string, Resource>;
  Outputs?: Record<string, { Value: unknown; Description?: string; Export?: unknown; Condition?: string }>;
}

const TOP_LEVEL_KEYS = new Set([
  'AWSTemplateFormatVersion',
  'Transform',
  'Description',
  'Metadata',
  'Parameters',
  'Rules',
  'Mappings',
  'Conditions',
  'Globals',
  'Resources',
  'Outputs',
]);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks the document's outline (sections, every resource has a Type) and returns it typed. */
export function asTemplate(doc: unknown, file: string): Template {
  if (!isObject(doc)) throw new TemplateSyntaxError(`${file}: a template is a mapping of sections`);
  for (const key of Object.keys(doc)) {
    if (!TOP_LEVEL_KEYS.has(key)) {
      throw new TemplateSyntaxError(`${file}: unknown top-level section "${key}"`);
    }
  }
  if (!isObject(doc.Resources) || Object.keys(doc.Resources).length === 0) {
    throw new TemplateSyntaxError(`${file}: "Resources" must declare at least one resource`);
  }
  for (const [id, resource] of Object.entries(doc.Resources)) {
    if (!/^[A-Za-z0-9]+$/.test(id)) {
      throw new TemplateSyntaxError(`${file}: resource id "${id}" must be alphanumeric`);
    }
    if (!isObject(resource) || typeof resource.Type !== 'string') {
      throw new TemplateSyntaxError(`${file}: resource ${id} needs a string "Type"`);
    }
  }
  return doc as unknown as Template;
}

export function loadTemplate(file: string): Template {
  return asTemplate(parseCfnYaml(readFileSync(file, 'utf8'), file), file);
}

/** Logical ids of the resources of one type, in template order. */
export function resourcesOfType(template: Template, type: string): Array<[string, Resource]> {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type);
}

export { isObject };
