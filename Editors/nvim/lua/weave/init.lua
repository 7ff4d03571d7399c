-- Weave for Neovim: pair on one document with people in Weave's editor (or
-- in Neovim), through `weave connect`, which speaks Weave's editor protocol
-- (docs/EDITORS.md) on its stdin and stdout. Works on Neovim 0.7 and newer.
local text = require("weave.text")

local M = {}

-- The one session of this Neovim, or nil. It shows one buffer (a file) or,
-- for a shared folder, a buffer per file opened under S.root: S.docs by uri
-- (the file's path in the folder), S.bufs from buffer number to uri.
local S = nil

M.weave = vim.g.weave_command or "weave"

local function notify(msg, level)
  vim.schedule(function() vim.notify("weave: " .. msg, level or vim.log.levels.INFO) end)
end

local function encode(method, params)
  local body = vim.fn.json_encode({ jsonrpc = "2.0", method = method, params = params })
  return "Content-Length: " .. #body .. "\r\n\r\n" .. body
end

local function send(method, params)
  if not S or not S.job then return end
  vim.fn.chansend(S.job, encode(method, params))
end

-- The document shown in buffer `buf` (default: the current one), or nil.
local function doc_of(buf)
  if not S then return nil end
  local uri = S.bufs[buf or vim.api.nvim_get_current_buf()]
  return uri and S.docs[uri] or nil
end

-- Peers' cursors: one highlight per colour, one extmark per peer.
local ns = vim.api.nvim_create_namespace("weave")
local groups = {}
local function group(colour)
  local name = "WeavePeer" .. colour:gsub("#", "")
  if not groups[name] then
    vim.api.nvim_set_hl(0, name, { bg = colour, fg = "#000000" })
    vim.api.nvim_set_hl(0, name .. "Sel", { bg = colour, fg = "#000000", blend = 60 })
    vim.api.nvim_set_hl(0, name .. "Name", { fg = colour, bold = true })
    groups[name] = true
  end
  return name
end

local function byte_pos(lines, pos)
  local line = math.min(pos.line, #lines - 1)
  local s = lines[line + 1] or ""
  local col = pos.line > line and #s or (text.byte_col(s, pos.column) or #s)
  return line, col
end

local function draw_cursors(B)
  if not B or not vim.api.nvim_buf_is_valid(B.buf) then return end
  vim.api.nvim_buf_clear_namespace(B.buf, ns, 0, -1)
  for _, c in ipairs(B.cursors) do
    local g = group(c.colour)
    local line, col = byte_pos(B.lines, c.head)
    local s = B.lines[line + 1] or ""
    local width = 1
    if col < #s then
      local b = s:byte(col + 1)
      width = b >= 0xF0 and 4 or b >= 0xE0 and 3 or b >= 0xC0 and 2 or 1
      vim.api.nvim_buf_set_extmark(B.buf, ns, line, col, { end_col = col + width, hl_group = g,
        virt_text = { { " " .. c.name, g .. "Name" } }, virt_text_pos = "eol" })
    else
      vim.api.nvim_buf_set_extmark(B.buf, ns, line, col, { virt_text = { { "▏" .. c.name, g .. "Name" } },
        virt_text_pos = "eol" })
    end
    if c.anchor then
      local al, ac = byte_pos(B.lines, c.anchor)
      local sl, sc, el, ec = al, ac, line, col
      if al > line or (al == line and ac > col) then sl, sc, el, ec = line, col, al, ac end
      if sl ~= el or sc ~= ec then
        vim.api.nvim_buf_set_extmark(B.buf, ns, sl, sc, { end_row = el, end_col = ec, hl_group = g .. "Sel", priority = 90 })
      end
    end
  end
end

-- Applies one change from weave to the buffer (not sent back: on_lines sees B.applying).
local function apply_change(B, c)
  local n = #B.lines
  local st, en = c.range.start, c.range["end"]
  B.applying = true
  if st.line < n and en.line < n then
    local sb = text.byte_col(B.lines[st.line + 1], st.column)
    local eb = text.byte_col(B.lines[en.line + 1], en.column)
    if sb and eb then
      vim.api.nvim_buf_set_text(B.buf, st.line, sb, en.line, eb, text.split(c.text))
      B.applying = false
      return true
    end
  else
    -- A change that reaches past the last line (the text's final newline):
    -- redone on the lines from where it starts, 'eol' following the text.
    local k = math.max(0, math.min(st.line, n - 1))
    local tail = {}
    for i = k + 1, n do tail[#tail + 1] = B.lines[i] end
    local shifted = { start = { line = st.line - k, column = st.column }, ["end"] = { line = en.line - k, column = en.column }, text = c.text }
    local new_tail, eol = text.apply(tail, B.eol, shifted)
    if new_tail then
      vim.api.nvim_buf_set_lines(B.buf, k, n, false, new_tail)
      B.eol = eol
      B.applying = false
      return true
    end
  end
  B.applying = false
  return false
end

local function reload(B, doc)
  B.applying = true
  local lines, eol = text.lines_of(doc)
  local current = vim.api.nvim_buf_get_lines(B.buf, 0, -1, false)
  if table.concat(current, "\n") ~= table.concat(lines, "\n") then
    vim.api.nvim_buf_set_lines(B.buf, 0, -1, false, lines)
  end
  B.applying = false
  B.lines = vim.api.nvim_buf_get_lines(B.buf, 0, -1, false)
  B.eol = eol
end

local handlers = {}

function handlers.document(p)
  local B = S.docs[p.uri]
  if not B then return end
  B.sent, B.seen, B.open = 0, p.revision, true
  reload(B, p.text)
  vim.bo[B.buf].modifiable = not p.readOnly
  vim.bo[B.buf].modified = false
end

function handlers.edit(p)
  local B = S.docs[p.uri]
  if not B or p.editorRevision ~= B.sent then return end -- typed since: weave sends the difference again
  for _, c in ipairs(p.changes) do
    if not apply_change(B, c) then
      notify("a change did not fit the buffer; reloading", vim.log.levels.WARN)
      send("open", { uri = B.uri, text = "" })
      return
    end
  end
  B.seen = p.revision
  draw_cursors(B)
end

function handlers.cursors(p)
  local B = S.docs[p.uri]
  if not B then return end
  B.cursors = p.peers
  draw_cursors(B)
  if S.following and vim.api.nvim_get_current_buf() == B.buf then
    for _, c in ipairs(B.cursors) do
      if c.name == S.following then M.jump(c.name, true) end
    end
  end
end

function handlers.peers(p) S.peers = p.peers; vim.cmd("redrawstatus") end
function handlers.status(p) S.status = p.text; vim.cmd("redrawstatus") end
function handlers.error(p) notify(p.message, vim.log.levels.WARN) end
function handlers.saved(p)
  local B = S.docs[p.uri]
  if p.error then notify("not saved: " .. p.error, vim.log.levels.ERROR)
  elseif B then vim.bo[B.buf].modified = false; notify("saved " .. vim.api.nvim_buf_get_name(B.buf)) end
end
function handlers.hosting(p)
  S.join = p.joinCommand
  vim.fn.setreg("+", p.joinCommand)
  vim.fn.setreg('"', p.joinCommand)
  notify("hosting; join with (copied): " .. p.joinCommand)
end

local attach_folder_file

-- A shared folder: its root on this disk and its files. The first time,
-- files opened under the root become the folder's (BufReadCmd), and the
-- first file is shown when no buffer of the folder is.
function handlers.folder(p)
  local first = S.root == nil
  S.root, S.files = (vim.fn.fnamemodify(p.root, ":p"):gsub("/$", "")), p.files
  if first then
    vim.api.nvim_create_autocmd("BufReadCmd", { group = S.group, pattern = S.root .. "/*",
      callback = function(a) attach_folder_file(a.buf, a.file) end })
    if next(S.docs) == nil and #p.files > 0 then
      vim.cmd("edit " .. vim.fn.fnameescape(S.root .. "/" .. p.files[1].path))
    end
  end
  vim.cmd("redrawstatus")
end

function handlers.renamed(p)
  local B = S.docs[p.uri]
  if not B then return end
  S.docs[p.uri], S.docs[p.to] = nil, B
  B.uri = p.to
  S.bufs[B.buf] = p.to
  pcall(vim.api.nvim_buf_set_name, B.buf, S.root .. "/" .. p.to)
  notify(p.uri .. " was renamed to " .. p.to)
end

function handlers.closed(p)
  local B = S.docs[p.uri]
  if not B then return end
  S.docs[p.uri] = nil
  S.bufs[B.buf] = nil
  if vim.api.nvim_buf_is_valid(B.buf) then vim.api.nvim_buf_clear_namespace(B.buf, ns, 0, -1) end
  notify(p.reason, vim.log.levels.WARN)
end

local function receive(data)
  if not S then return end
  S.input = S.input .. table.concat(data, "\n")
  while true do
    local head_end = S.input:find("\r\n\r\n", 1, true)
    if not head_end then return end
    local len = tonumber(S.input:sub(1, head_end - 1):match("Content%-Length:%s*(%d+)"))
    if not len then notify("bad frame from weave connect", vim.log.levels.ERROR); S.input = ""; return end
    if #S.input < head_end + 3 + len then return end
    local body = S.input:sub(head_end + 4, head_end + 3 + len)
    S.input = S.input:sub(head_end + 4 + len)
    local ok, msg = pcall(vim.fn.json_decode, body)
    if ok and type(msg) == "table" and handlers[msg.method] then
      local done, err = pcall(handlers[msg.method], msg.params or {})
      if not done then notify("cannot apply " .. msg.method .. ": " .. tostring(err), vim.log.levels.ERROR) end
    end
  end
end

-- Sends the buffer's changes; keeps the shadow copy of its lines.
local function on_lines(B, buf, first, last_old, last_new)
  local new_lines = vim.api.nvim_buf_get_lines(buf, first, last_new, false)
  local change = nil
  if not B.applying and B.open then change = text.change(B.lines, B.eol, first, last_old, new_lines) end
  -- Splice the shadow.
  local old = B.lines
  local spliced = {}
  for i = 1, first do spliced[i] = old[i] end
  for _, l in ipairs(new_lines) do spliced[#spliced + 1] = l end
  for i = last_old + 1, #old do spliced[#spliced + 1] = old[i] end
  B.lines = spliced
  if change then
    B.sent = B.sent + 1
    send("edit", { uri = B.uri, revision = B.seen, changes = { { range = { start = change.start, ["end"] = change["end"] }, text = change.text } } })
  end
end

local function on_cursor()
  local B = doc_of()
  if not B or not B.open then return end
  local pos = vim.api.nvim_win_get_cursor(0)
  local line = pos[1] - 1
  local head = { line = line, column = text.char_col(B.lines[line + 1] or "", pos[2]) }
  -- In Visual mode the selection's other end goes too (peers draw it).
  local anchor = nil
  local mode = vim.api.nvim_get_mode().mode
  if mode == "v" or mode == "V" or mode == "\22" then
    local v = vim.fn.getpos("v")
    local al = v[2] - 1
    anchor = { line = al, column = text.char_col(B.lines[al + 1] or "", v[3] - 1) }
  end
  local key = head.line .. ":" .. head.column .. (anchor and ("-" .. anchor.line .. ":" .. anchor.column) or "")
  if B.last_cursor == key then return end
  B.last_cursor = key
  send("cursor", { uri = B.uri, revision = B.seen, head = head, anchor = anchor })
end

-- Shows the document `uri` in buffer `buf`: weave owns its file (:w asks
-- weave to write it, BufWriteCmd), its changes are sent, and weave's
-- `document` reply replaces what it holds.
local function attach(buf, uri)
  local session = S
  local B = { buf = buf, uri = uri, sent = 0, seen = 0, lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false), eol = true,
              cursors = {}, open = false }
  S.docs[uri], S.bufs[buf] = B, uri
  -- weave's writes are not changes for Neovim to reload (a reload would detach the buffer).
  vim.bo[buf].buftype = "acwrite"
  vim.bo[buf].swapfile = false
  vim.api.nvim_buf_attach(buf, false, {
    on_lines = function(_, b, _, first, last_old, last_new)
      if S ~= session or S.docs[B.uri] ~= B then return true end
      on_lines(B, b, first, last_old, last_new)
    end,
    on_detach = function()
      if S == session and S.docs[B.uri] == B then
        S.docs[B.uri], S.bufs[buf] = nil, nil
        send("close", { uri = B.uri })
        if not S.root then
          notify("the buffer was unloaded or reloaded: the session stopped (:WeaveJoin or :WeaveHost starts it again)", vim.log.levels.WARN)
          vim.schedule(function() if S == session then M.stop() end end)
        end
      end
    end,
  })
  vim.api.nvim_create_autocmd({ "CursorMoved", "CursorMovedI", "ModeChanged", "BufEnter" }, { group = S.group, buffer = buf, callback = on_cursor })
  vim.api.nvim_create_autocmd("BufWriteCmd", { group = S.group, buffer = buf, callback = function()
    if S and S.docs[B.uri] == B then send("save", { uri = B.uri }) end
  end })
  vim.api.nvim_create_autocmd("FileChangedShell", { group = S.group, buffer = buf, callback = function() vim.v.fcs_choice = "" end })
  send("open", { uri = uri, text = table.concat(B.lines, "\n") })
  return B
end

-- BufReadCmd of a file under a shared folder's root: a path of the folder
-- is shown from weave (a new one is created on every peer); a hidden one
-- (such as .weave/) is read from disk, read-only, and not shared.
attach_folder_file = function(buf, file)
  if not S or not S.root then return end
  local path = vim.fn.fnamemodify(file, ":p")
  if path:sub(1, #S.root + 1) ~= S.root .. "/" then return end
  local uri = path:sub(#S.root + 2)
  if uri:match("^%.") or uri:match("/%.") then
    local ok, lines = pcall(vim.fn.readfile, path)
    vim.api.nvim_buf_set_lines(buf, 0, -1, false, ok and lines or {})
    vim.bo[buf].modifiable, vim.bo[buf].modified = false, false
    notify(uri .. " is not shared (hidden): shown read-only from disk", vim.log.levels.WARN)
    return
  end
  if S.bufs[buf] then return end
  attach(buf, uri)
end

local function start(cmd, buf)
  if S then M.stop() end
  S = { job = nil, docs = {}, bufs = {}, input = "", peers = {}, status = "starting", stderr = {},
        group = vim.api.nvim_create_augroup("Weave", { clear = true }) }
  local session = S
  S.job = vim.fn.jobstart(cmd, {
    on_stdout = function(_, data) if S == session then receive(data) end end,
    on_stderr = function(_, data)
      for _, l in ipairs(data) do if l ~= "" then session.stderr[#session.stderr + 1] = l end end
    end,
    on_exit = function(_, code)
      if S ~= session then return end
      S.job = nil
      S.status = "stopped"
      local why = table.concat(session.stderr, " ")
      notify("weave connect ended (" .. code .. ")" .. (why ~= "" and (": " .. why) or "") ..
        "; :WeaveJoin or :WeaveHost starts it again", code == 0 and vim.log.levels.INFO or vim.log.levels.ERROR)
      vim.schedule(function() vim.cmd("redrawstatus") end)
    end,
  })
  if S.job <= 0 then
    notify("cannot run " .. M.weave .. " (set g:weave_command)", vim.log.levels.ERROR)
    S = nil
    return
  end
  if buf then attach(buf, vim.uri_from_bufnr(buf)) end
end

--- :WeaveJoin HOST:PORT --invite TOKEN [FILE|DIR/]
function M.join(args)
  local argv = vim.split(vim.trim(args), "%s+")
  local cmd = { M.weave, "connect" }
  for _, a in ipairs(argv) do cmd[#cmd + 1] = a end
  if vim.g.weave_name then vim.list_extend(cmd, { "--name", vim.g.weave_name }) end
  local file = argv[4]
  if file and (file:sub(-1) == "/" or vim.fn.isdirectory(file) == 1) then
    -- A shared folder, mirrored into DIR/: its files open as buffers (the first at once).
    start(cmd, nil)
    return
  end
  -- A buffer named after FILE (weave keeps FILE and its history, and writes
  -- it on :w), or after the address when the copy is kept in memory only.
  local name = file and vim.fn.fnamemodify(file, ":p") or ("weave://" .. argv[1])
  local existing = vim.fn.bufnr(name)
  if existing ~= -1 then
    vim.cmd("buffer " .. existing) -- joining again (after the client ended): the same buffer
  else
    vim.cmd("enew")
    vim.bo.swapfile = false -- weave keeps FILE's history; a swap file would only get in the way
    vim.bo.buftype = "acwrite"
    vim.api.nvim_buf_set_name(0, name)
  end
  start(cmd, vim.api.nvim_get_current_buf())
end

--- :WeaveHost [DIR] [PORT]: shares the current buffer's file (written
--- first), or the folder DIR.
function M.host(args)
  local argv = vim.split(vim.trim(args or ""), "%s+", { trimempty = true })
  local dir = argv[1] and vim.fn.isdirectory(argv[1]) == 1 and table.remove(argv, 1) or nil
  local port = argv[1] or "0"
  local target = dir and vim.fn.fnamemodify(dir, ":p"):gsub("/$", "") or vim.api.nvim_buf_get_name(0)
  if target == "" then notify("the buffer has no file: :write it first", vim.log.levels.ERROR); return end
  if not dir and vim.bo.modified then vim.cmd("write") end
  local cmd = { M.weave, "connect", "--host", target, "--port", port }
  if vim.g.weave_name then vim.list_extend(cmd, { "--name", vim.g.weave_name }) end
  start(cmd, not dir and vim.api.nvim_get_current_buf() or nil)
end

--- :WeaveFiles: the shared folder's files (with who is in each); the one
--- chosen is opened.
function M.files()
  if not S or not S.root then notify("not in a shared folder"); return end
  local items = {}
  for _, f in ipairs(S.files or {}) do items[#items + 1] = f end
  vim.ui.select(items, {
    prompt = "weave: files of " .. S.root,
    format_item = function(f) return f.path .. (#f.peers > 0 and ("  ● " .. table.concat(f.peers, ", ")) or "") end,
  }, function(f) if f then vim.cmd("edit " .. vim.fn.fnameescape(S.root .. "/" .. f.path)) end end)
end

function M.stop()
  if not S then return end
  local s = S
  S = nil
  if s.job then vim.fn.jobstop(s.job) end
  for _, B in pairs(s.docs) do
    if vim.api.nvim_buf_is_valid(B.buf) then vim.api.nvim_buf_clear_namespace(B.buf, ns, 0, -1) end
  end
  pcall(vim.api.nvim_del_augroup_by_name, "Weave")
end

function M.offline()
  if not S then return end
  S.offline = not S.offline
  send("online", { on = not S.offline })
end

--- Moves the cursor to peer NAME's (once; `quiet` when following): in the
--- current buffer, else in the first buffer where NAME is.
function M.jump(name, quiet)
  if not S then return end
  local here = doc_of()
  local order = { here }
  for _, B in pairs(S.docs) do if B ~= here then order[#order + 1] = B end end
  for _, B in ipairs(order) do
    for _, c in ipairs(B.cursors) do
      if c.name == name then
        local line, col = byte_pos(B.lines, c.head)
        if B ~= here then vim.cmd("buffer " .. B.buf) end
        for _, w in ipairs(vim.fn.win_findbuf(B.buf)) do vim.api.nvim_win_set_cursor(w, { line + 1, col }) end
        return
      end
    end
  end
  if not quiet then notify(name .. " is not in a document shown here", vim.log.levels.WARN) end
end

function M.follow(name)
  if not S then return end
  if name == nil or name == "" then S.following = nil; notify("stopped following"); return end
  S.following = name
  M.jump(name)
end

function M.peers()
  if not S then notify("not connected"); return end
  local out = {}
  for _, p in ipairs(S.peers) do out[#out + 1] = p.name end
  notify(#out == 0 and "no peers" or ("peers: " .. table.concat(out, ", ")))
end

--- For 'statusline': the link's state, e.g. %{v:lua.require'weave'.statusline()}
function M.statusline()
  if not S then return "" end
  return "weave: " .. (S.status or "") .. (S.following and (" · following " .. S.following) or "")
end

function M.history()
  local B = doc_of()
  local file = vim.api.nvim_buf_get_name(B and B.buf or 0)
  vim.cmd("split | terminal " .. M.weave .. " replay " .. vim.fn.shellescape(file))
end

-- For tests and scripts: what the plugin holds.
function M.state() return S end

--- Writes the session's state as JSON to `path` (tests read it): the
--- current buffer's lines (or the only one's), the cursor, the link's
--- status, peers' cursors and the extmarks that draw them; for a folder its
--- root, files, and every open document's lines by uri.
function M.dump(path)
  local B = doc_of()
  if not B and S then for _, d in pairs(S.docs) do B = d; break end end
  local docs = {}
  if S then for uri, d in pairs(S.docs) do docs[uri] = { lines = d.lines, eol = d.eol } end end
  local out = { buffer = B and vim.api.nvim_buf_get_lines(B.buf, 0, -1, false) or {}, cursor = vim.api.nvim_win_get_cursor(0),
    eol = B and B.eol or false, status = S and S.status or "", cursors = B and B.cursors or {}, peers = S and S.peers or {},
    marks = B and vim.api.nvim_buf_get_extmarks(B.buf, ns, 0, -1, { details = true }) or {}, modified = B and vim.bo[B.buf].modified or false,
    root = S and S.root or vim.NIL, files = S and S.files or {}, docs = docs, current = B and B.uri or vim.NIL }
  vim.fn.writefile({ vim.fn.json_encode(out) }, path)
end

return M
