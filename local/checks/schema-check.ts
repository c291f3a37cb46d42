import { withGlobals } from '../template/sam-globals';
import { isObject, type Template } from '../template/template';
import { cfnResource } from './cfn-spec';
import type { Finding } from './finding';
import { validateObject, validateValue } from './property-validator';
import { SAM_EVENTS, SAM_GLOBALS, SAM_RESOURCES, type SamShape } from './sam-spec';

const RESOURCE_KEYS = new Set([
  'Type',
  'Properties',
  'Metadata',
  'DependsOn',
  'Condition',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'CreationPolicy',
  'UpdatePolicy',
]);

/** Every resource type known, every property (at any depth) known and of the right kind, required ones present. */
export function checkSchema(template: Template): Finding[] {
  const problems: string[] = [];
  for (const [section, props] of Object.entries(template.Globals ?? {})) {
    const shape = SAM_GLOBALS[section];
    if (!shape) problems.push(`Globals.${section}: SAM has no such Globals section`);
    else if (isObject(props)) problems.push(...validateSam(props, shape, `Globals.${section}`));
  }
  for (const [id, resource] of Object.entries(template.Resources)) {
    const where = `Resources.${id}`;
    for (const key of Object.keys(resource)) {
      if (!RESOURCE_KEYS.has(key)) problems.push(`${where}.${key}: not a resource attribute`);
    }
    const props = resource.Properties ?? {};
    if (!isObject(props)) {
      problems.push(`${where}.Properties: expected a mapping`);
      continue;
    }
    const sam = SAM_RESOURCES[resource.Type];
    if (sam) {
      problems.push(...validateSam(props, sam, `${where}.Properties`));
      if (resource.Type === 'AWS::Serverless::Function') problems.push(...checkFunction(template, id, props));
    } else if (resource.Type.startsWith('AWS::Serverless::')) {
      problems.push(`${where}: ${resource.Type} is not described in local/checks/sam-spec.ts; add it there`);
    } else if (
      resource.Type.startsWith('Custom::') ||
      resource.Type === 'AWS::CloudFormation::CustomResource'
    ) {
      if (!('ServiceToken' in props)) problems.push(`${where}: a custom resource requires ServiceToken`);
    } else {
      const spec = cfnResource(resource.Type);
      if (!spec) problems.push(`${where}: unknown resource type ${resource.Type}`);
      else problems.push(...validateObject(props, spec.properties, `${where}.Properties`, resource.Type));
    }
  }
  return problems.map((p) => toFinding(p));
}

function toFinding(problem: string): Finding {
  const colon = problem.indexOf(': ');
  return { check: 'schema', where: problem.slice(0, colon), message: problem.slice(colon + 2) };
}

function validateSam(value: Record<string, unknown>, shape: SamShape, where: string): string[] {
  const problems: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    const prop = shape.props[key];
    if (!prop) {
      problems.push(
        `${where}.${key}: unknown property of ${shape.name} (known: ${Object.keys(shape.props).sort().join(', ')})`,
      );
    } else if (prop !== 'any' && 'cfn' in prop) {
      const [type, name] = prop.cfn;
      const cfnProp = cfnResource(type)?.properties[name];
      if (cfnProp)
        problems.push(
          ...validateValue(v, [cfnProp.type, ...(cfnProp.previousTypes ?? [])], `${where}.${key}`),
        );
    } else if (prop !== 'any' && isObject(v)) {
      problems.push(...validateSam(v, prop.shape, `${where}.${key}`));
    }
  }
  for (const key of shape.required ?? []) {
    if (!(key in value)) problems.push(`${where}: ${shape.name} requires property ${key}`);
  }
  return problems;
}

function checkFunction(template: Template, id: string, props: Record<string, unknown>): string[] {
  const where = `Resources.${id}.Properties`;
  const problems: string[] = [];
  const effective = withGlobals(template, 'Function', props);
  if (effective.PackageType !== 'Image') {
    for (const key of ['Handler', 'Runtime']) {
      if (!(key in effective))
        problems.push(`${where}: a Zip function requires ${key} (here or in Globals.Function)`);
    }
    if (!('CodeUri' in effective) && !('InlineCode' in effective)) {
      problems.push(`${where}: a Zip function requires CodeUri or InlineCode`);
    }
  }
  const events = props.Events ?? {};
  if (!isObject(events)) return [...problems, `${where}.Events: expected a mapping of event sources`];
  for (const [name, event] of Object.entries(events)) {
    const at = `${where}.Events.${name}`;
    if (!isObject(event) || typeof event.Type !== 'string') {
      problems.push(`${at}: an event source needs a Type and Properties`);
      continue;
    }
    const shape = SAM_EVENTS[event.Type];
    if (!shape) {
      problems.push(
        `${at}.Type: unknown event type ${event.Type} (known: ${Object.keys(SAM_EVENTS).join(', ')})`,
      );
    } else {
      problems.push(
        ...validateSam(isObject(event.Properties) ? event.Properties : {}, shape, `${at}.Properties`),
      );
    }
  }
  return problems;
}
