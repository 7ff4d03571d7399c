-- Weave for Neovim: pair on one document with people in Weave's editor (or
-- in Neovim), through `weave connect`, which speaks Weave's editor protocol
-- (docs/EDITORS.md) on its stdin and stdout. Works on Neovim 0.7 and newer.
local text = require("weave.text")

local M = {}

-- The one session of this Neovim (one buffer), or nil.
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

local function draw_cursors()
  if not S or not vim.api.nvim_buf_is_valid(S.buf) then return end
  vim.api.nvim_buf_clear_namespace(S.buf, ns, 0, -1)
  for _, c in ipairs(S.cursors) do
    local g = group(c.colour)
    local line, col = byte_pos(S.lines, c.head)
    local s = S.lines[line + 1] or ""
    local width = 1
    if col < #s then
      local b = s:byte(col + 1)
      width = b >= 0xF0 and 4 or b >= 0xE0 and 3 or b >= 0xC0 and 2 or 1
      vim.api.nvim_buf_set_extmark(S.buf, ns, line, col, { end_col = col + width, hl_group = g,
        virt_text = { { " " .. c.name, g .. "Name" } }, virt_text_pos = "eol" })
    else
      vim.api.nvim_buf_set_extmark(S.buf, ns, line, col, { virt_text = { { "▏" .. c.name, g .. "Name" } },
        virt_text_pos = "eol" })
    end
    if c.anchor then
      local al, ac = byte_pos(S.lines, c.anchor)
      local sl, sc, el, ec = al, ac, line, col
      if al > line or (al == line and ac > col) then sl, sc, el, ec = line, col, al, ac end
      if sl ~= el or sc ~= ec then
        vim.api.nvim_buf_set_extmark(S.buf, ns, sl, sc, { end_row = el, end_col = ec, hl_group = g .. "Sel", priority = 90 })
      end
    end
  end
end

-- Applies one change from weave to the buffer (not sent back: on_lines sees S.applying).
local function apply_change(c)
  local n = #S.lines
  local st, en = c.range.start, c.range["end"]
  S.applying = true
  if st.line < n and en.line < n then
    local sb = text.byte_col(S.lines[st.line + 1], st.column)
    local eb = text.byte_col(S.lines[en.line + 1], en.column)
    if sb and eb then
      vim.api.nvim_buf_set_text(S.buf, st.line, sb, en.line, eb, text.split(c.text))
      S.applying = false
      return true
    end
  else
    -- A change that reaches past the last line (the text's final newline):
    -- redone on the lines from where it starts, 'eol' following the text.
    local k = math.max(0, math.min(st.line, n - 1))
    local tail = {}
    for i = k + 1, n do tail[#tail + 1] = S.lines[i] end
    local shifted = { start = { line = st.line - k, column = st.column }, ["end"] = { line = en.line - k, column = en.column }, text = c.text }
    local new_tail, eol = text.apply(tail, S.eol, shifted)
    if new_tail then
      vim.api.nvim_buf_set_lines(S.buf, k, n, false, new_tail)
      S.eol = eol
      S.applying = false
      return true
    end
  end
  S.applying = false
  return false
end

local function reload(doc)
  S.applying = true
  local lines, eol = text.lines_of(doc)
  local current = vim.api.nvim_buf_get_lines(S.buf, 0, -1, false)
  if table.concat(current, "\n") ~= table.concat(lines, "\n") then
    vim.api.nvim_buf_set_lines(S.buf, 0, -1, false, lines)
  end
  S.applying = false
  S.lines = vim.api.nvim_buf_get_lines(S.buf, 0, -1, false)
  S.eol = eol
end

local handlers = {}

function handlers.document(p)
  S.sent, S.seen, S.open = 0, p.revision, true
  reload(p.text)
  vim.bo[S.buf].modifiable = not p.readOnly
  vim.bo[S.buf].modified = false
end

function handlers.edit(p)
  if p.editorRevision ~= S.sent then return end -- typed since: weave sends the difference again
  for _, c in ipairs(p.changes) do
    if not apply_change(c) then
      notify("a change did not fit the buffer; reloading", vim.log.levels.WARN)
      send("open", { uri = S.uri, text = "" })
      return
    end
  end
  S.seen = p.revision
  draw_cursors()
end

function handlers.cursors(p)
  S.cursors = p.peers
  draw_cursors()
  if S.following then
    for _, c in ipairs(S.cursors) do
      if c.name == S.following then M.jump(c.name, true) end
    end
  end
end

function handlers.peers(p) S.peers = p.peers; vim.cmd("redrawstatus") end
function handlers.status(p) S.status = p.text; vim.cmd("redrawstatus") end
function handlers.error(p) notify(p.message, vim.log.levels.WARN) end
function handlers.saved(p)
  if p.error then notify("not saved: " .. p.error, vim.log.levels.ERROR)
  else vim.bo[S.buf].modified = false; notify("saved " .. vim.api.nvim_buf_get_name(S.buf)) end
end
function handlers.hosting(p)
  S.join = p.joinCommand
  vim.fn.setreg("+", p.joinCommand)
  vim.fn.setreg('"', p.joinCommand)
  notify("hosting; join with (copied): " .. p.joinCommand)
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
local function on_lines(_, buf, _, first, last_old, last_new)
  if not S or buf ~= S.buf then return true end
  local new_lines = vim.api.nvim_buf_get_lines(buf, first, last_new, false)
  local change = nil
  if not S.applying and S.open then change = text.change(S.lines, S.eol, first, last_old, new_lines) end
  -- Splice the shadow.
  local old = S.lines
  local spliced = {}
  for i = 1, first do spliced[i] = old[i] end
  for _, l in ipairs(new_lines) do spliced[#spliced + 1] = l end
  for i = last_old + 1, #old do spliced[#spliced + 1] = old[i] end
  S.lines = spliced
  if change then
    S.sent = S.sent + 1
    send("edit", { uri = S.uri, revision = S.seen, changes = { { range = { start = change.start, ["end"] = change["end"] }, text = change.text } } })
  end
end

local function on_cursor()
  if not S or vim.api.nvim_get_current_buf() ~= S.buf or not S.open then return end
  local pos = vim.api.nvim_win_get_cursor(0)
  local line = pos[1] - 1
  local head = { line = line, column = text.char_col(S.lines[line + 1] or "", pos[2]) }
  -- In Visual mode the selection's other end goes too (peers draw it).
  local anchor = nil
  local mode = vim.api.nvim_get_mode().mode
  if mode == "v" or mode == "V" or mode == "\22" then
    local v = vim.fn.getpos("v")
    local al = v[2] - 1
    anchor = { line = al, column = text.char_col(S.lines[al + 1] or "", v[3] - 1) }
  end
  local key = head.line .. ":" .. head.column .. (anchor and ("-" .. anchor.line .. ":" .. anchor.column) or "")
  if S.last_cursor == key then return end
  S.last_cursor = key
  send("cursor", { uri = S.uri, revision = S.seen, head = head, anchor = anchor })
end

local function start(cmd, buf)
  if S then M.stop() end
  S = { buf = buf, uri = vim.uri_from_bufnr(buf), input = "", sent = 0, seen = 0, lines = {}, eol = true,
        cursors = {}, peers = {}, status = "starting", open = false, stderr = {} }
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
  S.lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  -- weave owns FILE: :w asks it to write (BufWriteCmd), and its writes are
  -- not changes for Neovim to reload (a reload would detach the buffer).
  vim.bo[buf].buftype = "acwrite"
  vim.bo[buf].swapfile = false
  vim.api.nvim_buf_attach(buf, false, {
    on_lines = function(...) if S ~= session then return true end; return on_lines(...) end,
    on_detach = function()
      if S == session then
        notify("the buffer was unloaded or reloaded: the session stopped (:WeaveJoin or :WeaveHost starts it again)", vim.log.levels.WARN)
        vim.schedule(function() if S == session then M.stop() end end)
      end
    end,
  })
  local g = vim.api.nvim_create_augroup("Weave", { clear = true })
  vim.api.nvim_create_autocmd({ "CursorMoved", "CursorMovedI", "ModeChanged" }, { group = g, buffer = buf, callback = on_cursor })
  vim.api.nvim_create_autocmd("BufWriteCmd", { group = g, buffer = buf, callback = function() send("save", { uri = S.uri }) end })
  vim.api.nvim_create_autocmd("FileChangedShell", { group = g, buffer = buf, callback = function() vim.v.fcs_choice = "" end })
  send("open", { uri = S.uri, text = table.concat(S.lines, "\n") })
end

--- :WeaveJoin HOST:PORT --invite TOKEN [FILE]
function M.join(args)
  local argv = vim.split(vim.trim(args), "%s+")
  local cmd = { M.weave, "connect" }
  for _, a in ipairs(argv) do cmd[#cmd + 1] = a end
  if vim.g.weave_name then vim.list_extend(cmd, { "--name", vim.g.weave_name }) end
  -- A buffer named after FILE (weave keeps FILE and its history, and writes
  -- it on :w), or after the address when the copy is kept in memory only.
  local file = argv[4]
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

--- :WeaveHost [PORT]: shares the current buffer's file (written first).
function M.host(args)
  local file = vim.api.nvim_buf_get_name(0)
  if file == "" then notify("the buffer has no file: :write it first", vim.log.levels.ERROR); return end
  if vim.bo.modified then vim.cmd("write") end
  local port = vim.trim(args or "") ~= "" and vim.trim(args) or "0"
  local cmd = { M.weave, "connect", "--host", file, "--port", port }
  if vim.g.weave_name then vim.list_extend(cmd, { "--name", vim.g.weave_name }) end
  start(cmd, vim.api.nvim_get_current_buf())
end

function M.stop()
  if not S then return end
  local s = S
  S = nil
  if s.job then vim.fn.jobstop(s.job) end
  if vim.api.nvim_buf_is_valid(s.buf) then vim.api.nvim_buf_clear_namespace(s.buf, ns, 0, -1) end
  pcall(vim.api.nvim_del_augroup_by_name, "Weave")
end

function M.offline()
  if not S then return end
  S.offline = not S.offline
  send("online", { on = not S.offline })
end

--- Moves the cursor to peer NAME's (once; `quiet` when following).
function M.jump(name, quiet)
  if not S then return end
  for _, c in ipairs(S.cursors) do
    if c.name == name then
      local line, col = byte_pos(S.lines, c.head)
      for _, w in ipairs(vim.fn.win_findbuf(S.buf)) do vim.api.nvim_win_set_cursor(w, { line + 1, col }) end
      return
    end
  end
  if not quiet then notify(name .. " is not in this document", vim.log.levels.WARN) end
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
  local file = S and vim.api.nvim_buf_get_name(S.buf) or vim.api.nvim_buf_get_name(0)
  vim.cmd("split | terminal " .. M.weave .. " replay " .. vim.fn.shellescape(file))
end

-- For tests and scripts: what the plugin holds.
function M.state() return S end

--- Writes the session's state as JSON to `path` (tests read it): the
--- buffer's lines, the cursor, the link's status, peers' cursors and the
--- extmarks that draw them.
function M.dump(path)
  local out = { buffer = S and vim.api.nvim_buf_get_lines(S.buf, 0, -1, false) or {}, cursor = vim.api.nvim_win_get_cursor(0),
    eol = S and S.eol or false, status = S and S.status or "", cursors = S and S.cursors or {}, peers = S and S.peers or {},
    marks = S and vim.api.nvim_buf_get_extmarks(S.buf, ns, 0, -1, { details = true }) or {}, modified = S and vim.bo[S.buf].modified or false }
  vim.fn.writefile({ vim.fn.json_encode(out) }, path)
end

return M
