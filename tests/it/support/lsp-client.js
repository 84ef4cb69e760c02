// A minimal Language Server Protocol client over stdio, for the editor tests: starts a
// language server, opens one document, and prints as JSON what an editor would show:
// the diagnostics the server publishes, hovers and completions at given positions.
//
//   node lsp-client.js REQUEST.json
//
// REQUEST: {"server": [argv...], "root": dir, "file": path, "languageId": "yaml",
//           "settings": {...}, "hover": [[line, character]...],
//           "complete": [[line, character]...]}
// Lines and characters are 0-based, as in LSP. Ends with an error after 60 seconds.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const { pathToFileURL } = require('url');

const req = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const server = spawn(req.server[0], req.server.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
const uri = pathToFileURL(req.file).href;
const text = fs.readFileSync(req.file, 'utf8');
let nextId = 1;
const pending = new Map();
let buffer = Buffer.alloc(0);
let diagnostics = null;
let diagnosticsWaiter = null;

setTimeout(() => { console.error('lsp-client: timed out'); process.exit(2); }, 60000);

function send(message) {
  const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', ...message }), 'utf8');
  server.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
  server.stdin.write(body);
}
function request(method, params) {
  const id = nextId++;
  send({ id, method, params });
  return new Promise((resolve) => pending.set(id, resolve));
}
function notify(method, params) { send({ method, params }); }

function section(name) {
  let value = req.settings;
  for (const part of (name || '').split('.').filter(Boolean)) value = value ? value[part] : undefined;
  return value === undefined ? null : value;
}

function handle(message) {
  if (message.id !== undefined && message.method === undefined) {
    const resolve = pending.get(message.id);
    pending.delete(message.id);
    if (resolve) resolve(message.result);
  } else if (message.method === 'workspace/configuration') {
    send({ id: message.id, result: message.params.items.map((i) => section(i.section)) });
  } else if (message.id !== undefined) {
    send({ id: message.id, result: null }); // client/registerCapability and the like
  } else if (message.method === 'textDocument/publishDiagnostics' && message.params.uri === uri) {
    diagnostics = message.params.diagnostics;
    if (diagnosticsWaiter) diagnosticsWaiter();
  }
}

server.stdout.on('data', (chunk) => {
  buffer = Buffer.concat([buffer, chunk]);
  for (;;) {
    const end = buffer.indexOf('\r\n\r\n');
    if (end < 0) return;
    const length = Number(/Content-Length: (\d+)/i.exec(buffer.slice(0, end).toString())[1]);
    if (buffer.length < end + 4 + length) return;
    handle(JSON.parse(buffer.slice(end + 4, end + 4 + length).toString('utf8')));
    buffer = buffer.slice(end + 4 + length);
  }
});

function settled() {
  // The server validates after a short delay and may publish twice (before and after
  // the schema is loaded): wait until nothing new has come for a second.
  return new Promise((resolve) => {
    let timer = null;
    const again = () => { clearTimeout(timer); timer = setTimeout(resolve, 1500); };
    diagnosticsWaiter = again;
    again();
  });
}

(async () => {
  await request('initialize', {
    processId: process.pid,
    rootUri: pathToFileURL(req.root).href,
    workspaceFolders: [{ uri: pathToFileURL(req.root).href, name: 'root' }],
    capabilities: {
      workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } },
      textDocument: {
        hover: { contentFormat: ['markdown', 'plaintext'] },
        completion: { completionItem: { snippetSupport: false, documentationFormat: ['markdown', 'plaintext'] } },
        publishDiagnostics: {},
      },
    },
  });
  notify('initialized', {});
  notify('workspace/didChangeConfiguration', { settings: req.settings });
  notify('textDocument/didOpen', { textDocument: { uri, languageId: req.languageId, version: 1, text } });
  await settled();
  const hovers = [];
  for (const [line, character] of req.hover || []) {
    hovers.push(await request('textDocument/hover', { textDocument: { uri }, position: { line, character } }));
  }
  const completions = [];
  for (const [line, character] of req.complete || []) {
    const result = await request('textDocument/completion', { textDocument: { uri }, position: { line, character } });
    const items = Array.isArray(result) ? result : (result ? result.items : []);
    completions.push(items.map((i) => i.label));
  }
  process.stdout.write(JSON.stringify({ diagnostics, hovers, completions }) + '\n');
  await request('shutdown', null);
  notify('exit', null);
  setTimeout(() => process.exit(0), 200);
})();
