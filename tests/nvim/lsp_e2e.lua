-- SPDX-License-Identifier: MIT OR Apache-2.0
--
-- Neovim drives `tracer-lsp --stdio` the way a user's editor does, against a copy of the
-- repository's `examples/` workspace, and checks the answers a user sees: indexing progress,
-- go-to-definition, find-references, hover, completion while typing, diagnostics, and recording
-- (`tracer.record` through `workspace/executeCommand`, counts through `textDocument/inlayHint`).
--
-- Written for Neovim 0.7 (Debian bookworm), so it uses `vim.lsp.start_client` and
-- `vim.lsp.buf_attach_client`. Every wait is on a signal from the server (`on_init`, the
-- progress `end`, a `publishDiagnostics`, a response, the server's exit), polled by `vim.wait`.
--
-- Inputs (environment): TRACER_LSP_BIN, the server binary; TRACER_HELLO_RS, the Rust example
-- program; TRACER_LSP_FIXTURE, a writable copy of
-- `examples/`. Output: one line per check on stdout, then `nvim-lsp: N passed` and exit code 0,
-- or `nvim-lsp: FAIL ...` (with the tail of the LSP log) and exit code 1.
-- Run by `tests/tests/neovim.rs`.

local WAIT_MS = 20000

local function say(line)
  io.stdout:write(line .. '\n')
  io.stdout:flush()
end

-- A failed expectation unwinds to `run` with this marker, so it is told apart from a Lua error.
local Failure = {}

local function expect(cond, message, value)
  if not cond then
    if value ~= nil then
      message = message .. '\n  got: ' .. vim.inspect(value)
    end
    error(setmetatable({ message = message }, Failure), 0)
  end
end

local function env(name)
  local value = os.getenv(name)
  expect(value ~= nil and value ~= '', 'environment variable ' .. name .. ' is not set')
  return value
end

local server_bin, fixture -- from the environment, read in `run`

local SEVERITY_ERROR = vim.lsp.protocol.DiagnosticSeverity.Error
local SEVERITY_WARNING = vim.lsp.protocol.DiagnosticSeverity.Warning
local SNIPPET = vim.lsp.protocol.InsertTextFormat.Snippet

-- What the server told us, filled in by the handlers below.
local seen = {
  init_result = nil,
  progress = {}, -- token -> { created = bool, kinds = { 'begin', 'report', ..., 'end' } }
  diagnostics = {}, -- file path -> diagnostics of its first publishDiagnostics
  counts = {}, -- file path -> sites of its latest tracer/counts
  exit_code = nil,
}

local function real_path_of_uri(uri)
  local path = vim.uri_to_fname(uri)
  return vim.loop.fs_realpath(path) or path
end

local function progress_of(token)
  local key = tostring(token)
  seen.progress[key] = seen.progress[key] or { created = false, kinds = {} }
  return seen.progress[key]
end

local handlers = {
  ['tracer/counts'] = function(_, params)
    seen.counts[real_path_of_uri(params.uri)] = params.sites
  end,
  ['window/workDoneProgress/create'] = function(_, params)
    progress_of(params.token).created = true
    return vim.NIL
  end,
  ['$/progress'] = function(_, params)
    local kind = type(params.value) == 'table' and params.value.kind or '?'
    table.insert(progress_of(params.token).kinds, kind)
  end,
  ['textDocument/publishDiagnostics'] = function(err, result, ctx, config)
    local path = real_path_of_uri(result.uri)
    if seen.diagnostics[path] == nil then
      seen.diagnostics[path] = result.diagnostics
    end
    return vim.lsp.handlers['textDocument/publishDiagnostics'](err, result, ctx, config)
  end,
}

local capabilities = vim.lsp.protocol.make_client_capabilities()
capabilities.window = capabilities.window or {}
capabilities.window.workDoneProgress = true
-- Neovim 0.7 leaves snippets off by default; a user's completion plugin turns them on.
capabilities.textDocument.completion.completionItem.snippetSupport = true

local client_id -- set once the client is started

local function client()
  local c = vim.lsp.get_client_by_id(client_id)
  expect(c ~= nil, 'the tracer-lsp client is gone (the server exited?)')
  return c
end

local function wait_for(what, predicate)
  local ok = vim.wait(WAIT_MS, predicate, 10)
  expect(ok, 'timed out after ' .. WAIT_MS .. ' ms waiting for ' .. what)
end

local function fixture_path(relative)
  return fixture .. '/' .. relative
end

-- Opens a file (existing or new) in a buffer attached to the server, as a C buffer.
local function open(relative, lines)
  vim.cmd('edit ' .. vim.fn.fnameescape(fixture_path(relative)))
  local buf = vim.api.nvim_get_current_buf()
  vim.bo[buf].filetype = 'c'
  if lines then
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, lines)
  end
  expect(vim.lsp.buf_attach_client(buf, client_id), 'could not attach the client to ' .. relative)
  return buf
end

local function line_of(buf, line)
  return vim.api.nvim_buf_get_lines(buf, line, line + 1, true)[1]
end

-- The LSP position (UTF-16 column) `offset` bytes into `needle` on the 0-based `line` whose
-- text is `text`.
local function position_in(text, line, needle, offset)
  local start = text:find(needle, 1, true)
  expect(start ~= nil, string.format('fixture line %d lacks %q', line + 1, needle), text)
  return { line = line, character = vim.str_utfindex(text, start - 1 + (offset or 0)) }
end

local function position(buf, line, needle, offset)
  return position_in(line_of(buf, line), line, needle, offset)
end

local function at(buf, pos)
  return { textDocument = vim.lsp.util.make_text_document_params(buf), position = pos }
end

-- Sends a request the way the editor's own commands do and returns this server's result.
local function request(buf, method, params)
  expect(client().supports_method(method), 'the server does not advertise ' .. method)
  local responses, reason = vim.lsp.buf_request_sync(buf, method, params, WAIT_MS)
  expect(responses ~= nil, method .. ' got no response: ' .. tostring(reason))
  local response = responses[client_id]
  expect(response ~= nil, method .. ': no response from tracer-lsp', responses)
  expect(response.err == nil, method .. ' returned an error', response.err)
  return response.result
end

-- Location | Location[] | LocationLink[] | null as a list of { path, range }.
local function locations(result)
  if result == nil or result == vim.NIL then
    return {}
  end
  if result.uri or result.targetUri then
    result = { result }
  end
  local list = {}
  for _, loc in ipairs(result) do
    table.insert(list, {
      path = real_path_of_uri(loc.uri or loc.targetUri),
      range = loc.range or loc.targetSelectionRange,
    })
  end
  return list
end

-- CompletionItem[] | CompletionList | null as { label -> item }.
local function completion_items(result)
  local items = {}
  if result == nil or result == vim.NIL then
    return items
  end
  for _, item in ipairs(result.items or result) do
    items[item.label] = item
  end
  return items
end

local function labels(items)
  local list = vim.tbl_keys(items)
  table.sort(list)
  return list
end

local function insert_text(item)
  if type(item.textEdit) == 'table' then
    return item.textEdit.newText
  end
  return item.insertText or item.label
end

-- "Types" `text` at the end of `line`, so the server sees it through didChange.
local function type_at_end(buf, line, text)
  local current = line_of(buf, line)
  vim.api.nvim_buf_set_text(buf, line, #current, line, #current, { text })
  local typed = line_of(buf, line)
  return { line = line, character = vim.str_utfindex(typed, #typed) }
end

local SCHED_C = 'kernel-style/demo_sched.c'
local SCHED_H = 'kernel-style/trace/events/demo_sched.h'

local checks = {}
local sched_c -- buffer of demo_sched.c, opened while the server indexes

table.insert(checks, {
  'initialize: the server answers and advertises the features under test',
  function()
    wait_for('on_init (the initialize response)', function()
      return seen.init_result ~= nil or seen.exit_code ~= nil
    end)
    expect(seen.init_result ~= nil,
      'the server exited before initializing, code ' .. tostring(seen.exit_code))
    local caps = seen.init_result.capabilities or {}
    local providers =
      { 'completionProvider', 'definitionProvider', 'referencesProvider', 'hoverProvider' }
    for _, provider in ipairs(providers) do
      expect(caps[provider] ~= nil and caps[provider] ~= false,
        'initialize result lacks ' .. provider, caps)
    end
  end,
})

table.insert(checks, {
  'indexing: workDoneProgress create, begin, end',
  function()
    local finished
    wait_for('the $/progress end of the workspace indexing', function()
      for token, p in pairs(seen.progress) do
        if p.kinds[#p.kinds] == 'end' then
          finished = token
          return true
        end
      end
      return false
    end)
    local p = seen.progress[finished]
    expect(p.created,
      'progress token ' .. finished .. ' was used without window/workDoneProgress/create')
    expect(p.kinds[1] == 'begin',
      'progress of token ' .. finished .. ' did not start with begin', p.kinds)
  end,
})

table.insert(checks, {
  'definition: trace_demo_switch(...) goes to TRACE_EVENT(demo_switch, ...)',
  function()
    local site = position(sched_c, 9, 'trace_demo_switch', 8)
    local found = locations(request(sched_c, 'textDocument/definition', at(sched_c, site)))
    expect(#found == 1, 'expected one definition of demo_switch', found)
    local decl_line = 10 -- 0-based: `TRACE_EVENT(demo_switch,`
    local decl = vim.fn.readfile(fixture_path(SCHED_H))[decl_line + 1]
    local want = {
      path = fixture_path(SCHED_H),
      range = {
        start = position_in(decl, decl_line, 'demo_switch'),
        ['end'] = position_in(decl, decl_line, 'demo_switch', #'demo_switch'),
      },
    }
    expect(vim.deep_equal(found[1], want),
      'definition is not the name in TRACE_EVENT(demo_switch,\n  want: ' .. vim.inspect(want),
      found[1])
  end,
})

table.insert(checks, {
  'references: the one call site of demo_switch',
  function()
    local params = at(sched_c, position(sched_c, 9, 'trace_demo_switch', 3))
    params.context = { includeDeclaration = false }
    local found = locations(request(sched_c, 'textDocument/references', params))
    expect(#found == 1, 'expected exactly one reference (demo_sched.c:10)', found)
    expect(found[1].path == fixture_path(SCHED_C), 'reference is not in demo_sched.c', found[1])
    expect(found[1].range.start.line == 9, 'reference is not on line 10 of demo_sched.c', found[1])
  end,
})

table.insert(checks, {
  'hover: event name, fields and TP_printk format',
  function()
    local site = position(sched_c, 9, 'trace_demo_switch', 10)
    local hover = request(sched_c, 'textDocument/hover', at(sched_c, site))
    expect(type(hover) == 'table' and type(hover.contents) == 'table',
      'hover returned no contents', hover)
    local contents = hover.contents
    expect(contents.kind == 'markdown', 'hover is not MarkupContent of kind markdown', contents)
    for _, needle in ipairs({ 'demo_sched:demo_switch', 'prev_pid', 'prev_pid=%d' }) do
      expect(contents.value:find(needle, 1, true) ~= nil,
        'hover does not mention ' .. needle, contents.value)
    end
  end,
})

table.insert(checks, {
  'completion: typing trace_demo_w offers the trace_demo_wakeup snippet',
  function()
    local buf = open('kernel-style/typing.c',
      { '#include <trace/events/demo_sched.h>', '', 'void typing(void)', '{', '\t', '}' })
    local cursor = type_at_end(buf, 4, 'trace_demo_w')
    local params = at(buf, cursor)
    params.context = { triggerKind = vim.lsp.protocol.CompletionTriggerKind.Invoked }
    local items = completion_items(request(buf, 'textDocument/completion', params))
    local item = items['trace_demo_wakeup']
    expect(item ~= nil, 'no completion item labelled trace_demo_wakeup', labels(items))
    expect(item.insertTextFormat == SNIPPET,
      'trace_demo_wakeup is not a snippet (insertTextFormat 2)', item)
    local snippet = 'trace_demo_wakeup(${1:pid}, ${2:cpu})'
    expect(insert_text(item) == snippet, 'the inserted text is not ' .. snippet, item)
    expect(type(item.detail) == 'string' and item.detail:find('demo_sched', 1, true),
      'detail does not name demo_sched', item)
  end,
})

table.insert(checks, {
  'completion: inside tracepoint(hello, the events of provider hello',
  function()
    local buf = open('c/typing.c',
      { '#include "hello-tp.h"', '', 'void typing(void)', '{', '    ', '}' })
    local cursor = type_at_end(buf, 4, 'tracepoint(hello, ')
    local params = at(buf, cursor)
    params.context = { triggerKind = vim.lsp.protocol.CompletionTriggerKind.Invoked }
    local items = completion_items(request(buf, 'textDocument/completion', params))
    for _, event in ipairs({ 'greeting', 'work_start', 'work_done' }) do
      expect(items[event] ~= nil, 'no completion item labelled ' .. event, labels(items))
    end
  end,
})

table.insert(checks, {
  'diagnostics: wrong argument count is an error, unknown event a warning',
  function()
    local relative = 'kernel-style/broken.c'
    local path = fixture_path(relative)
    vim.fn.writefile({
      '/* Probe sites with mistakes, written by the Neovim end-to-end test. */',
      '#include <trace/events/demo_sched.h>',
      '',
      'void broken(int a)',
      '{',
      '\ttrace_demo_switch(a, 2);',
      '\ttrace_no_such_event(a);',
      '}',
    }, path)
    open(relative)
    wait_for('the first textDocument/publishDiagnostics of ' .. relative, function()
      return seen.diagnostics[path] ~= nil
    end)
    local diagnostics = seen.diagnostics[path]
    expect(#diagnostics == 2, 'expected exactly two diagnostics', diagnostics)
    local by_line = {}
    for _, d in ipairs(diagnostics) do
      by_line[d.range.start.line] = d
    end
    local arity = by_line[5]
    expect(arity ~= nil, 'no diagnostic on trace_demo_switch(a, 2) (line 6)', diagnostics)
    expect(arity.severity == SEVERITY_ERROR, 'argument-count diagnostic is not an Error', arity)
    expect(arity.message:find('3', 1, true) and arity.message:lower():find('argument', 1, true),
      'argument-count diagnostic does not say 3 arguments are expected', arity)
    local unknown = by_line[6]
    expect(unknown ~= nil, 'no diagnostic on trace_no_such_event(a) (line 7)', diagnostics)
    expect(unknown.severity == SEVERITY_WARNING,
      'unknown-event diagnostic is not a Warning', unknown)
    expect(unknown.message:lower():find('no declaration', 1, true),
      'unknown-event diagnostic does not say "no declaration"', unknown)
  end,
})

table.insert(checks, {
  'rust: definition and references of a tracepoint! event in rust/src/main.rs',
  function()
    local buf = open('rust/src/main.rs')
    vim.bo[buf].filetype = 'rust'
    -- Line 39 (0-based 38): `tracepoint!(hello_rs, request_done, id = id, bytes = 0usize);`
    local site = position(buf, 38, 'request_done', 3)
    local defs = locations(request(buf, 'textDocument/definition', at(buf, site)))
    expect(#defs == 1 and defs[1].range.start.line == 17,
      'definition of request_done is not its first site (main.rs:18)', defs)
    local params = at(buf, site)
    params.context = { includeDeclaration = false }
    local refs = locations(request(buf, 'textDocument/references', params))
    expect(#refs == 2, 'expected the two sites of request_done', refs)
    expect(refs[1].range.start.line == 17 and refs[2].range.start.line == 38,
      'references are not main.rs:18 and main.rs:39', refs)
  end,
})

table.insert(checks, {
  'record: tracer.record of the Rust example puts its exact counts in the inlay hints',
  function()
    local buf = open('rust/src/main.rs')
    vim.bo[buf].filetype = 'rust'
    local token = 'nvim-record'
    local result = request(buf, 'workspace/executeCommand', {
      command = 'tracer.record',
      arguments = { { command = { env('TRACER_HELLO_RS'), '12' }, cwd = fixture } },
      workDoneToken = token,
    })
    expect(type(result) == 'table' and result.id ~= nil, 'tracer.record returned no id', result)
    wait_for('the recording to end (progress end)', function()
      local kinds = progress_of(token).kinds
      return kinds[#kinds] == 'end'
    end)
    local hints = request(buf, 'textDocument/inlayHint', {
      textDocument = vim.lsp.util.make_text_document_params(buf),
      range = { start = { line = 0, character = 0 }, ['end'] = { line = 100, character = 0 } },
    })
    local got = {}
    for _, h in ipairs(hints) do
      table.insert(got, string.format('%d:%s', h.position.line, h.label))
    end
    -- request_start (line 16) and request_done (18) fire 12 times; line 39 for ids 0,3,6,9.
    local want = { '15:● 12', '17:● 12', '38:● 4' }
    expect(vim.deep_equal(got, want), 'inlay hints are not the exact counts', got)
    local sites = seen.counts[real_path_of_uri(vim.uri_from_bufnr(buf))]
    expect(sites ~= nil and #sites == 3 and sites[3].count == 4,
      'no tracer/counts notification with the counts of main.rs', sites)
  end,
})

table.insert(checks, {
  'shutdown: the server exits with code 0 after shutdown and exit',
  function()
    client().stop()
    wait_for('the server process to exit after shutdown/exit', function()
      return seen.exit_code ~= nil
    end)
    expect(seen.exit_code == 0, 'the server exited with code ' .. tostring(seen.exit_code))
  end,
})

local function print_log_tail()
  local log = vim.lsp.get_log_path()
  local ok, lines = pcall(vim.fn.readfile, log)
  if ok and #lines > 0 then
    say('--- last lines of ' .. log .. ' (server stderr is logged here) ---')
    for i = math.max(1, #lines - 40), #lines do
      say(lines[i])
    end
  end
end

local function run()
  server_bin = env('TRACER_LSP_BIN')
  fixture = vim.loop.fs_realpath(env('TRACER_LSP_FIXTURE'))
  expect(fixture ~= nil, 'TRACER_LSP_FIXTURE names no directory')
  vim.lsp.set_log_level('WARN')
  client_id = vim.lsp.start_client({
    name = 'tracer-lsp',
    cmd = { server_bin, '--stdio' },
    root_dir = fixture,
    workspace_folders = { { uri = vim.uri_from_fname(fixture), name = 'examples' } },
    capabilities = capabilities,
    handlers = handlers,
    on_init = function(_, result)
      seen.init_result = result
    end,
    on_exit = function(code)
      seen.exit_code = code
    end,
  })
  expect(client_id ~= nil, 'vim.lsp.start_client failed for ' .. server_bin)
  -- As in a user's session: the file is open while the server still indexes the workspace.
  sched_c = open(SCHED_C)

  local passed = 0
  for _, check in ipairs(checks) do
    local name, body = check[1], check[2]
    local ok, err = xpcall(body, function(e)
      if getmetatable(e) == Failure then
        return e.message
      end
      return debug.traceback(tostring(e), 2)
    end)
    if not ok then
      say('FAIL ' .. name .. '\n  ' .. err)
      return passed, false
    end
    passed = passed + 1
    say('ok   ' .. name)
  end
  return passed, true
end

local ok, passed, all = pcall(run)
if ok and all then
  say(string.format('nvim-lsp: %d passed', passed))
  vim.cmd('qall!')
else
  if not ok then
    local err = passed
    say('FAIL setup\n  ' .. (getmetatable(err) == Failure and err.message or tostring(err)))
    passed = 0
  end
  say(string.format('nvim-lsp: FAIL after %d passed', passed))
  print_log_tail()
  vim.cmd('cquit 1')
end
