import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The folder rules of docs/architecture.md (Layout), read from the import statements of the
 * sources: function folders stand side by side on shared code only, the functions' code imports
 * nothing outside lambdas/, and the local runtime and the CLI share code only through admin/.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SOURCE_FOLDERS = ['lambdas', 'local', 'cli', 'admin', 'scripts', 'bin', 'lib', 'bench'];

interface Import {
  /** The importing file, relative to the project root. */
  from: string;
  /** The imported file or folder, relative to the project root. */
  to: string;
}

const sourceFiles = (folder: string): string[] => {
  const absolute = path.join(ROOT, folder);
  if (!existsSync(absolute)) return [];
  return readdirSync(absolute, { recursive: true, encoding: 'utf8' })
    .filter((file) => /\.(ts|mjs)$/.test(file))
    .map((file) => path.posix.join(folder, file.split(path.sep).join('/')));
};

/** Every relative import of the project's sources (static, dynamic, re-exports and `import type`). */
const projectImports = (): Import[] =>
  SOURCE_FOLDERS.flatMap(sourceFiles).flatMap((from) =>
    ts
      .preProcessFile(readFileSync(path.join(ROOT, from), 'utf8'), true, true)
      .importedFiles.map(({ fileName }) => fileName)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => ({ from, to: path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier)) })),
  );

const topFolder = (file: string): string => file.split('/')[0]!;
/** `lambdas/<folder>` of a file under lambdas/, else undefined. */
const lambdasFolder = (file: string): string | undefined => (file.startsWith('lambdas/') ? file.split('/')[1] : undefined);

/** A folder of lambdas/ with a handler.ts is one function's; the others are shared by them. */
const FUNCTION_FOLDERS = readdirSync(path.join(ROOT, 'lambdas')).filter((folder) => existsSync(path.join(ROOT, 'lambdas', folder, 'handler.ts')));

const show = (imports: Import[]): string[] => imports.map(({ from, to }) => `${from} imports ${to}`);

describe('folder rules', () => {
  const imports = projectImports();

  it('reads the imports of the sources', () => {
    expect(FUNCTION_FOLDERS).toEqual(expect.arrayContaining(['api', 'ingest', 'fanout', 'delivery']));
    expect(show(imports)).toEqual(expect.arrayContaining(['lambdas/api/api-handler.ts imports lambdas/api/event-routes']));
  });

  it('has no function folder import another function folder, and no shared folder import a function folder', () => {
    const crossing = imports.filter(({ from, to }) => {
      const source = lambdasFolder(from);
      const target = lambdasFolder(to);
      return source !== undefined && target !== undefined && source !== target && FUNCTION_FOLDERS.includes(target);
    });

    expect(show(crossing)).toEqual([]);
  });

  it('keeps the functions\' code inside lambdas/', () => {
    const leaving = imports.filter(({ from, to }) => topFolder(from) === 'lambdas' && topFolder(to) !== 'lambdas');

    expect(show(leaving)).toEqual([]);
  });

  it('keeps lambdas/core pure: it imports only itself', () => {
    const leaving = imports.filter(({ from, to }) => lambdasFolder(from) === 'core' && lambdasFolder(to) !== 'core');

    expect(show(leaving)).toEqual([]);
  });

  it('has the local runtime and the CLI share code through admin/ only, which imports neither', () => {
    const crossing = imports.filter(({ from, to }) => {
      const [source, target] = [topFolder(from), topFolder(to)];
      return (source === 'local' && target === 'cli') || (source === 'cli' && target === 'local') || (source === 'admin' && (target === 'local' || target === 'cli'));
    });

    expect(show(crossing)).toEqual([]);
  });
});
