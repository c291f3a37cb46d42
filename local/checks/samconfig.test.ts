import { join } from 'node:path';
import { readSamconfig } from '../template/samconfig';
import { projectRoot, realTemplate } from './test-fixtures';

/**
 * `sam deploy --guided` asks for the stack name, region and each template parameter, offering these
 * defaults: every parameter has a safe one, and samconfig.toml overrides only real parameters with
 * values they allow.
 */
const samconfig = () => readSamconfig(join(projectRoot, 'samconfig.toml'));

/** `A="x" B="y"` → { A: 'x', B: 'y' } */
const overrides = (text: string) =>
  Object.fromEntries([...text.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));

describe('samconfig.toml and the template parameters', () => {
  const parameters = realTemplate().Parameters ?? {};

  it('gives every template parameter a default, so a guided deploy can take them all as offered', () => {
    const without = Object.entries(parameters).filter(([, p]) => p.Default === undefined);
    expect(without.map(([name]) => name)).toEqual([]);
  });

  it.each(['default.deploy.parameters', 'default.local_invoke.parameters'])(
    '%s overrides only real parameters, with values they allow',
    (section) => {
      const values = overrides(samconfig().get(section)?.parameter_overrides ?? '');
      expect(Object.keys(values).length).toBeGreaterThan(0);
      for (const [name, value] of Object.entries(values)) {
        expect({ name, known: name in parameters }).toEqual({ name, known: true });
        const allowed = parameters[name]!.AllowedValues?.map(String);
        if (allowed) expect(allowed).toContain(value);
      }
    },
  );

  it('deploys with a change set to confirm, IAM capability and SAM’s managed bucket', () => {
    expect(samconfig().get('default.deploy.parameters')).toMatchObject({
      capabilities: 'CAPABILITY_IAM',
      confirm_changeset: 'true',
      resolve_s3: 'true',
    });
  });
});
