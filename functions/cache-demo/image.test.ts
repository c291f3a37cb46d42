import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser, type Dockerfile } from 'dockerfile-ast';
import { checkLeastPrivilege } from '../../local/checks/least-privilege-check';
import { checkReferences } from '../../local/checks/references-check';
import { checkSchema } from '../../local/checks/schema-check';
import { realTemplate } from '../../local/checks/test-fixtures';
import { loadTemplate } from '../../local/template/template';

/**
 * Point 6 of issue 9: the container-image variant of the cache demo. The image cannot be built here
 * (no Docker), so the Dockerfile is parsed and linted, and the variant template goes through the
 * same offline checks as template.yaml.
 */
const dockerfileText = readFileSync(join(__dirname, 'Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(dockerfileText);
const variant = loadTemplate(join(__dirname, 'image-template.yaml'));

/** Problems a reviewer would flag, one line each (empty: the Dockerfile is fine). */
function lint(dockerfile: Dockerfile): string[] {
  const problems: string[] = [];
  const froms = dockerfile.getFROMs();
  const final = froms[froms.length - 1];
  if (!final) return ['no FROM'];
  // The tag, optionally with the digest of that tag for a reproducible build.
  if (!/^public\.ecr\.aws\/lambda\/nodejs:24(@sha256:[0-9a-f]{64})?$/.test(final.getImage() ?? ''))
    problems.push(`the image must be FROM public.ecr.aws/lambda/nodejs:24, not ${final.getImage()}`);
  for (const from of froms) {
    if (!from.getImageTag() && !from.getImageDigest()) problems.push(`FROM ${from.getImage()} is not pinned`);
    if (from.getImageTag() === 'latest') problems.push(`FROM ${from.getImage()} uses latest`);
  }
  for (const instruction of dockerfile.getInstructions()) {
    const keyword = instruction.getKeyword();
    const args = instruction.getArgumentsContent() ?? '';
    if (keyword === 'ADD') problems.push(`ADD ${args}: use COPY (ADD fetches URLs and unpacks archives)`);
    if ((keyword === 'ENV' || keyword === 'ARG') && /SECRET|TOKEN|PASSWORD|KEY/i.test(args))
      problems.push(`${keyword} ${args}: secrets do not belong in an image`);
    if (keyword === 'USER' && /^root\b/.test(args)) problems.push('USER root');
  }
  const copies = dockerfile.getCOPYs().map((c) => c.getArguments().map((a) => a.getValue()));
  for (const layer of ['CacheExtensionLayer', 'LogsExtensionLayer']) {
    const copied = copies.some(
      ([from, to]) => from === `build/${layer}/extensions/` && to === '/opt/extensions/',
    );
    if (!copied) problems.push(`no COPY of build/${layer}/extensions/ into /opt/extensions/`);
  }
  const cmds = dockerfile.getCMDs();
  const cmd = cmds[cmds.length - 1];
  const handler = cmd?.getJSONStrings().map((s) => s.getJSONValue());
  if (!handler || handler.length !== 1 || handler[0] !== 'index.handler')
    problems.push(`CMD must be the exec form ["index.handler"], got ${cmd?.getArgumentsContent() ?? 'none'}`);
  return problems;
}

describe('cache demo container image', () => {
  it('the Dockerfile parses and passes the lint', () => {
    expect(dockerfile.getInstructions().length).toBeGreaterThan(0);
    expect(lint(dockerfile)).toEqual([]);
  });

  it('the lint catches a latest base image, a missing layer copy, ADD, a secret and a shell-form CMD', () => {
    const broken = DockerfileParser.parse(
      [
        'FROM public.ecr.aws/lambda/nodejs:latest',
        'ENV API_TOKEN=abc',
        'ADD https://example.com/x.tgz /opt/',
        'COPY build/CacheExtensionLayer/extensions/ /opt/extensions/',
        'CMD index.handler',
      ].join('\n'),
    );
    expect(lint(broken)).toEqual([
      'the image must be FROM public.ecr.aws/lambda/nodejs:24, not public.ecr.aws/lambda/nodejs:latest',
      'FROM public.ecr.aws/lambda/nodejs:latest uses latest',
      'ENV API_TOKEN=abc: secrets do not belong in an image',
      'ADD https://example.com/x.tgz /opt/: use COPY (ADD fetches URLs and unpacks archives)',
      'no COPY of build/LogsExtensionLayer/extensions/ into /opt/extensions/',
      'CMD must be the exec form ["index.handler"], got index.handler',
    ]);
  });

  it('ships only what the Dockerfile copies (Dockerfile.dockerignore)', () => {
    const ignore = readFileSync(join(__dirname, 'Dockerfile.dockerignore'), 'utf8');
    expect(ignore).toMatch(/^\*$/m);
    for (const dir of [
      'build/CacheExtensionLayer/extensions/',
      'build/LogsExtensionLayer/extensions/',
      'build/CacheDemoFunction/',
    ])
      expect(ignore).toContain(`!${dir}`);
  });

  it('the variant template uses the Dockerfile and passes the schema, reference and least-privilege checks', () => {
    const fn = variant.Resources.CacheDemoImageFunction!;
    expect(fn.Metadata).toEqual({
      Dockerfile: 'functions/cache-demo/Dockerfile',
      DockerContext: '../..',
      DockerTag: 'nodejs24',
    });
    expect(fn.Properties!.PackageType).toBe('Image');
    expect([...checkSchema(variant), ...checkReferences(variant), ...checkLeastPrivilege(variant)]).toEqual(
      [],
    );
  });

  it('grants the image the same reads as the zip-packaged demo (and the logs prefix)', () => {
    const actions = (t: typeof variant, id: string) =>
      (t.Resources[id]!.Properties!.Policies as Array<{ Statement: Array<{ Action: string | string[] }> }>)
        .flatMap((p) => p.Statement.flatMap((s) => [s.Action].flat()))
        .sort();
    expect(actions(variant, 'CacheDemoImageFunction')).toEqual(
      [...actions(realTemplate(), 'CacheDemoFunction'), 's3:PutObject'].sort(),
    );
    const env = (t: typeof variant, id: string) =>
      (t.Resources[id]!.Properties!.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env(variant, 'CacheDemoImageFunction')).toMatchObject(env(realTemplate(), 'CacheDemoFunction'));
  });
});
