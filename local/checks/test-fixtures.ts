import { join } from 'node:path';
import { loadTemplate, type Template } from '../template/template';
import { loadServerlessConfig, type ServerlessConfig } from './parity-check';

/** The project's own files, loaded fresh for each test so a test can break its copy freely. */
export const projectRoot = join(__dirname, '..', '..');
export const realTemplate = (): Template => loadTemplate(join(projectRoot, 'template.yaml'));
export const realServerless = (): ServerlessConfig =>
  loadServerlessConfig(join(projectRoot, 'serverless.yml'));

/** The properties of a resource in a test's template copy, for breaking them. */
export function propsOf(template: Template, id: string): Record<string, unknown> {
  const resource = template.Resources[id];
  if (!resource) throw new Error(`template.yaml has no ${id}; update the test`);
  return (resource.Properties ??= {});
}
