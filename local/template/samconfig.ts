import { existsSync, readFileSync } from 'node:fs';

/**
 * samconfig.toml as SAM writes it: `[env.command.parameters]` sections of `key = "value"` lines
 * (values are strings, booleans or numbers; only the text is kept). Enough for the keys this project
 * reads, not a TOML parser.
 */
export function readSamconfig(file: string): Map<string, Record<string, string>> {
  const sections = new Map<string, Record<string, string>>();
  if (!existsSync(file)) return sections;
  let current: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const section = /^\[(.+)\]\s*$/.exec(line);
    if (section) sections.set(section[1]!, (current = {}));
    const entry = /^(\w+)\s*=\s*"?(.*?)"?\s*$/.exec(line);
    if (entry && !line.trimStart().startsWith('#')) current[entry[1]!] = entry[2]!.replace(/\\"/g, '"');
  }
  return sections;
}

/** `key` of the default environment as `sam deploy` reads it: its own section, then the global one. */
function deployParameter(file: string, key: string): string | undefined {
  const config = readSamconfig(file);
  return config.get('default.deploy.parameters')?.[key] ?? config.get('default.global.parameters')?.[key];
}

/** The stack `sam deploy` creates. */
export const samconfigStackName = (file: string) => deployParameter(file, 'stack_name');

/** The region `sam deploy` uses, when samconfig.toml names one (`--guided` writes it). */
export const samconfigRegion = (file: string) => deployParameter(file, 'region');
