import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import ts from 'typescript';
import { withGlobals } from '../template/sam-globals';
import { isObject, resourcesOfType, type Template } from '../template/template';
import type { Finding } from './finding';

const SOURCE_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];

export interface HandlerSource {
  /** Source file that holds the handler, relative to the project root. */
  file: string;
  exportName: string;
}

/** Splits Lambda's `path/module.export` handler string. */
export function splitHandler(handler: string): { module: string; exportName: string } | undefined {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0 || dot === handler.length - 1) return undefined;
  return { module: handler.slice(0, dot), exportName: handler.slice(dot + 1) };
}

function findModule(root: string, modulePath: string): string | undefined {
  return SOURCE_EXTENSIONS.map((ext) => modulePath + ext).find((f) => existsSync(join(root, f)));
}

/**
 * Where a SAM function's handler lives in the source tree: with `BuildMethod: esbuild` the bundle is
 * named after the entry point, so the handler module must match an entry point's base name.
 */
export function resolveSamHandler(
  template: Template,
  id: string,
  root: string,
): { source?: HandlerSource; problem?: string } {
  const resource = template.Resources[id]!;
  const props = withGlobals(template, 'Function', resource.Properties);
  if (props.PackageType === 'Image' || 'InlineCode' in props) return {};
  const { CodeUri: codeUri, Handler: handler } = props;
  if (typeof codeUri !== 'string') return { problem: 'CodeUri must be a path to the function folder' };
  if (!existsSync(join(root, codeUri)) || !statSync(join(root, codeUri)).isDirectory()) {
    return { problem: `CodeUri ${codeUri} is not a folder` };
  }
  const parts = typeof handler === 'string' ? splitHandler(handler) : undefined;
  if (!parts) return { problem: `Handler ${JSON.stringify(handler)} is not of the form module.export` };
  const metadata = resource.Metadata ?? {};
  let file: string | undefined;
  if (metadata.BuildMethod === 'esbuild') {
    const build = isObject(metadata.BuildProperties) ? metadata.BuildProperties : {};
    const entries = Array.isArray(build.EntryPoints)
      ? build.EntryPoints.filter((e) => typeof e === 'string')
      : [];
    const entry = entries.find((e) => basename(e, extname(e)) === basename(parts.module));
    if (!entry) {
      return {
        problem: `Handler module "${parts.module}" matches no esbuild EntryPoints (${entries.join(', ') || 'none'})`,
      };
    }
    file = join(codeUri, entry);
    if (!existsSync(join(root, file))) return { problem: `esbuild entry point ${file} does not exist` };
  } else {
    file = findModule(root, join(codeUri, parts.module));
    if (!file) return { problem: `no source file for handler module ${join(codeUri, parts.module)}` };
  }
  return { source: { file, exportName: parts.exportName } };
}

/** Names a TypeScript / JavaScript module exports, following `export * from './x'`. */
export function exportedNames(file: string, seen = new Set<string>()): Set<string> {
  const names = new Set<string>();
  if (seen.has(file)) return names;
  seen.add(file);
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const exported = (node: ts.Node) =>
    ts.canHaveModifiers(node) &&
    (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  for (const stmt of source.statements) {
    if (ts.isVariableStatement(stmt) && exported(stmt)) {
      for (const d of stmt.declarationList.declarations) if (ts.isIdentifier(d.name)) names.add(d.name.text);
    } else if (
      (ts.isFunctionDeclaration(stmt) || ts.isClassDeclaration(stmt)) &&
      exported(stmt) &&
      stmt.name
    ) {
      names.add(stmt.name.text);
    } else if (ts.isExportDeclaration(stmt)) {
      if (stmt.exportClause && ts.isNamedExports(stmt.exportClause)) {
        for (const e of stmt.exportClause.elements) names.add(e.name.text);
      } else if (!stmt.exportClause && stmt.moduleSpecifier && ts.isStringLiteral(stmt.moduleSpecifier)) {
        const target = findModule(dirname(file), stmt.moduleSpecifier.text.replace(/\.[cm]?js$/, ''));
        if (target) exportedNames(join(dirname(file), target), seen).forEach((n) => names.add(n));
      }
    } else if (ts.isExpressionStatement(stmt) && ts.isBinaryExpression(stmt.expression)) {
      // CommonJS: exports.handler = … / module.exports.handler = …
      const left = stmt.expression.left.getText(source);
      const match = /^(?:module\.)?exports\.([A-Za-z_$][\w$]*)$/.exec(left);
      if (match) names.add(match[1]!);
    }
  }
  return names;
}

/** Every function's CodeUri + Handler names a source file exporting it; every layer builds with its Makefile target. */
export function checkHandlers(template: Template, root: string): Finding[] {
  const findings: Finding[] = [];
  const report = (where: string, message: string) => findings.push({ check: 'handlers', where, message });
  for (const [id] of resourcesOfType(template, 'AWS::Serverless::Function')) {
    const { source, problem } = resolveSamHandler(template, id, root);
    if (problem) report(`Resources.${id}`, problem);
    const fn = template.Resources[id]!;
    if (fn.Metadata?.BuildMethod === 'makefile' && typeof fn.Properties?.CodeUri === 'string') {
      checkMakefileTarget(root, id, fn.Properties.CodeUri, `Resources.${id}.Properties.CodeUri`, report);
    }
    if (source && !exportedNames(resolve(root, source.file)).has(source.exportName)) {
      report(`Resources.${id}.Properties.Handler`, `${source.file} does not export "${source.exportName}"`);
    }
  }
  for (const [id, layer] of resourcesOfType(template, 'AWS::Serverless::LayerVersion')) {
    const where = `Resources.${id}`;
    const contentUri = layer.Properties?.ContentUri;
    if (layer.Metadata?.BuildMethod !== 'makefile') {
      report(
        `${where}.Metadata`,
        'layers build with `BuildMethod: makefile` (SAM cannot build layers with esbuild)',
      );
    }
    if (typeof contentUri !== 'string') {
      report(`${where}.Properties.ContentUri`, 'must be the path of the layer folder');
      continue;
    }
    checkMakefileTarget(root, id, contentUri, `${where}.Properties.ContentUri`, report);
  }
  return findings;
}

/** A `BuildMethod: makefile` resource needs a Makefile in its folder with a `build-<LogicalId>:` target. */
function checkMakefileTarget(
  root: string,
  id: string,
  dir: string,
  where: string,
  report: (where: string, message: string) => void,
): void {
  const makefile = join(root, dir, 'Makefile');
  if (!existsSync(makefile)) report(where, `${join(dir, 'Makefile')} does not exist`);
  else if (!new RegExp(`^build-${id}\\s*:`, 'm').test(readFileSync(makefile, 'utf8'))) {
    report(where, `${join(dir, 'Makefile')} has no "build-${id}:" target`);
  }
}
