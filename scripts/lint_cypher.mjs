#!/usr/bin/env node
// Lints the Neo4j-dialect Cypher of the project with Neo4j's own linter
// (`lintCypherQuery` from @neo4j-cypher/language-support), against Cypher 5.
//
//   node scripts/lint_cypher.mjs [ROOT]      (ROOT defaults to the repository root)
//
// Files: every *.cypher under ROOT/cypher/ and ROOT/migrations/, except anything below a
// directory named `falkordb` (the FalkorDB-dialect overrides, which Neo4j's grammar rejects).
// A query file is sent to the database whole, so it must hold exactly one statement. A
// migration file is cut at ";\n" exactly as app/store/migrations.py cuts it, and each part
// must hold exactly one statement.
//
// There is no database to ask for a schema. The linter gets the Cypher version, the
// parameters each statement uses (declared, so `$id` is not "not defined") and the function
// and procedure catalogue the package ships as `testData.mockSchema` (a dump of a Neo4j
// Enterprise server with APOC and GDS), so a misspelt function or procedure is an error.
// Labels, relationship types and property keys are not checked (no schema to check against).
// Only Error diagnostics fail the run; warnings (deprecations and the like) are printed and
// counted.
//
// Output: `file:line:col: severity: message` per diagnostic (1-based line and column), then
// `N files, E errors, W warnings`. Exit 1 if there is any error, 0 otherwise, 2 on misuse.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  lintCypherQuery,
  parseParameters,
  parseStatementsStrs,
  testData,
} from '@neo4j-cypher/language-support';

const CYPHER_VERSION = 'CYPHER 5';
const SOURCE_DIRS = ['cypher', 'migrations'];
const MIGRATION_DIR = 'migrations';
const EXCLUDED_DIR = 'falkordb';
// LSP DiagnosticSeverity: 1 Error, 2 Warning, 3 Information, 4 Hint.
const SEVERITY_NAMES = { 1: 'error', 2: 'warning', 3: 'info', 4: 'hint' };
// Known functions and procedures per Cypher version; without them the linter checks no
// function or procedure name at all (should a later version of the package drop testData).
const CATALOGUE = {
  functions: testData?.mockSchema?.functions,
  procedures: testData?.mockSchema?.procedures,
};

function cypherFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return [];
    throw err;
  }
  const files = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const isDir = entry.isDirectory() || (entry.isSymbolicLink() && statSync(path).isDirectory());
    if (isDir) {
      if (entry.name !== EXCLUDED_DIR) files.push(...cypherFiles(path));
    } else if (entry.name.endsWith('.cypher')) {
      files.push(path);
    }
  }
  return files;
}

function hasCode(text) {
  // Same test as app/store/migrations.py: some line that is neither blank nor a // comment.
  return text.split('\n').some((line) => line.trim() && !line.trim().startsWith('//'));
}

// The parts of a file that are each sent to the database as one statement, with the
// 0-based line of the file each part starts on.
function chunksOf(text, isMigration) {
  if (!isMigration) return [{ text, line: 0 }];
  const chunks = [];
  let line = 0;
  for (const part of text.split(';\n')) {
    chunks.push({ text: part, line });
    line += part.split('\n').length; // the "\n" of the ";\n" separator starts the next line
  }
  return chunks;
}

function lintChunk(chunk) {
  const parameters = Object.fromEntries(
    parseParameters(chunk.text, false).map((name) => [name, null]),
  );
  const dbSchema = { defaultLanguage: CYPHER_VERSION, parameters, ...CATALOGUE };
  const { diagnostics } = lintCypherQuery(chunk.text, dbSchema, {
    consoleCommandsEnabled: false, // `:param` and friends are Browser-only, not Cypher
  });
  const found = diagnostics.map((d) => ({
    severity: d.severity ?? 1,
    line: chunk.line + d.range.start.line,
    col: d.range.start.character,
    message: d.message,
  }));
  const statements = parseStatementsStrs(chunk.text).filter(hasCode);
  if (statements.length > 1) {
    found.push({
      severity: 1,
      line: chunk.line,
      col: 0,
      message:
        `${statements.length} statements where the application sends one ` +
        '(a query file is one statement; a migration is cut only at ";" + newline)',
    });
  }
  return found;
}

function displayPath(path) {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

function main(argv) {
  if (argv.length > 1 || (argv[0] ?? '').startsWith('-')) {
    console.error('usage: node scripts/lint_cypher.mjs [ROOT]');
    return 2;
  }
  const root = argv[0]
    ? resolve(argv[0])
    : resolve(dirname(fileURLToPath(import.meta.url)), '..');
  if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
    console.error(`lint_cypher: ROOT is not a directory: ${root}`);
    return 2;
  }

  const files = SOURCE_DIRS.flatMap((sub) =>
    cypherFiles(join(root, sub)).map((path) => ({ path, isMigration: sub === MIGRATION_DIR })),
  ).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));

  let errors = 0;
  let warnings = 0;
  for (const { path, isMigration } of files) {
    // Python's read_text() turns \r\n into \n before the ";\n" cut; do the same.
    const text = readFileSync(path, 'utf8').replace(/\r\n?/g, '\n');
    let found = [];
    for (const chunk of chunksOf(text, isMigration)) {
      if (!hasCode(chunk.text)) continue;
      try {
        found.push(...lintChunk(chunk));
      } catch (err) {
        found.push({ severity: 1, line: chunk.line, col: 0, message: `linter crashed: ${err}` });
      }
    }
    if (!isMigration && !hasCode(text)) {
      found.push({ severity: 1, line: 0, col: 0, message: 'query file holds no statement' });
    }
    found.sort((a, b) => a.line - b.line || a.col - b.col);
    for (const d of found) {
      const name = SEVERITY_NAMES[d.severity] ?? 'error';
      if (d.severity === 1) errors++;
      else warnings++;
      const message = d.message.replace(/\s*\n\s*/g, ' ');
      console.log(`${displayPath(path)}:${d.line + 1}:${d.col + 1}: ${name}: ${message}`);
    }
  }
  console.log(`${files.length} files, ${errors} errors, ${warnings} warnings`);
  return errors > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
