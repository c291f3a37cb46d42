import { join } from 'node:path';
import { loadTemplate, type Template } from '../template/template';
import { formatFinding, type Finding } from './finding';
import { checkHandlers } from './handlers-check';
import { checkLeastPrivilege } from './least-privilege-check';
import { checkParity, loadServerlessConfig, type ServerlessConfig } from './parity-check';
import { checkReferences } from './references-check';
import { checkSchema } from './schema-check';

/** The checks that apply to any CloudFormation document, SAM's or the one serverless.yml packages into. */
export const checkCloudFormation = (template: Template): Finding[] => [
  ...checkSchema(template),
  ...checkReferences(template),
  ...checkLeastPrivilege(template),
];

/** Every offline check of template.yaml and serverless.yml; empty when the project is deployable. */
export function validateProject(root: string, template?: Template, serverless?: ServerlessConfig): Finding[] {
  const t = template ?? loadTemplate(join(root, 'template.yaml'));
  const s = serverless ?? loadServerlessConfig(join(root, 'serverless.yml'));
  return [...checkCloudFormation(t), ...checkHandlers(t, root), ...checkParity(t, s, root)];
}

if (require.main === module) {
  const root = process.argv[2] ?? process.cwd();
  try {
    const findings = validateProject(root);
    for (const f of findings) console.error(formatFinding(f));
    console.log(
      findings.length === 0
        ? 'template.yaml and serverless.yml: all checks pass'
        : `${findings.length} problem(s)`,
    );
    process.exitCode = findings.length === 0 ? 0 : 1;
  } catch (e) {
    console.error((e as Error).message);
    process.exitCode = 1;
  }
}
