// VS Code's JSON language service (npm `vscode-json-languageservice`, what VS Code runs
// for JSON files) on one document with one schema, for the editor tests: prints as JSON
// the diagnostics, hovers and completions an editor would show.
//
//   node json-service.js REQUEST.json
//
// REQUEST: {"node_modules": dir, "schema": path, "file": path,
//           "hover": [[line, character]...], "complete": [[line, character]...]}
// Lines and characters are 0-based.
'use strict';
const fs = require('fs');
const path = require('path');
const { pathToFileURL } = require('url');

const req = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const service = require(path.join(req.node_modules, 'vscode-json-languageservice'));
const schemaUri = pathToFileURL(req.schema).href;
const uri = pathToFileURL(req.file).href;
const ls = service.getLanguageService({
  schemaRequestService: (u) => Promise.resolve(fs.readFileSync(new URL(u), 'utf8')),
});
ls.configure({ validate: true, allowComments: false, schemas: [{ uri: schemaUri, fileMatch: ['*.json'] }] });
const doc = service.TextDocument.create(uri, 'json', 1, fs.readFileSync(req.file, 'utf8'));
const json = ls.parseJSONDocument(doc);

(async () => {
  const diagnostics = await ls.doValidation(doc, json);
  const hovers = [];
  for (const [line, character] of req.hover || []) {
    hovers.push(await ls.doHover(doc, { line, character }, json));
  }
  const completions = [];
  for (const [line, character] of req.complete || []) {
    const list = await ls.doComplete(doc, { line, character }, json);
    completions.push(list ? list.items.map((i) => i.label) : []);
  }
  process.stdout.write(JSON.stringify({ diagnostics, hovers, completions }) + '\n');
})().catch((e) => { console.error(e); process.exit(1); });
