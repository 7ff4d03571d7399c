-- Weave's editor protocol counts positions as {line, column}, both from 0,
-- the column in Unicode scalars (code points). Neovim counts columns in
-- bytes of UTF-8. This module converts, and maps a buffer (lines plus the
-- 'eol' flag) to the document's text and back:
--
--   text = table.concat(lines, "\n") .. (eol and "\n" or "")
--
-- so position {#lines, 0} is the end of a text that ends in a newline.
-- Pure functions of strings and tables: tested headless (tests/text_spec.lua).
local M = {}

--- Code points in `s` (UTF-8). O(#s).
function M.len(s)
  local _, n = s:gsub("[^\128-\191]", "")
  return n
end

--- Byte offset (0-based) of code point column `col` in line `s`; nil past its end.
function M.byte_col(s, col)
  if col == 0 then return 0 end
  local seen = 0
  for i = 1, #s do
    local b = s:byte(i)
    if b < 0x80 or b >= 0xC0 then
      if seen == col then return i - 1 end
      seen = seen + 1
    end
  end
  if seen == col then return #s end
  return nil
end

--- Code point column of byte offset `byte` (0-based) in line `s`.
function M.char_col(s, byte)
  return M.len(s:sub(1, byte))
end

--- Splits `s` at every "\n" (plain).
function M.split(s)
  local out, start = {}, 1
  while true do
    local i = s:find("\n", start, true)
    if not i then out[#out + 1] = s:sub(start); return out end
    out[#out + 1] = s:sub(start, i - 1)
    start = i + 1
  end
end

--- Lines and eol flag of a document's text.
function M.lines_of(text)
  if text:sub(-1) == "\n" then return M.split(text:sub(1, -2)), true end
  return M.split(text), false
end

--- The position after `s` placed at `pos`.
function M.advance(pos, s)
  local parts = M.split(s)
  if #parts == 1 then return { line = pos.line, column = pos.column + M.len(s) } end
  return { line = pos.line + #parts - 1, column = M.len(parts[#parts]) }
end

local function common_prefix(a, b)
  local n = math.min(#a, #b)
  local i = 0
  while i < n and a:byte(i + 1) == b:byte(i + 1) do i = i + 1 end
  -- Never split a character: back off to a boundary of both.
  while i > 0 and ((a:byte(i + 1) or 0) >= 0x80 and (a:byte(i + 1) or 0) < 0xC0
                or (b:byte(i + 1) or 0) >= 0x80 and (b:byte(i + 1) or 0) < 0xC0) do
    i = i - 1
  end
  return i
end

local function common_suffix(a, b, limit)
  local n = math.min(#a, #b) - limit
  local i = 0
  while i < n and a:byte(#a - i) == b:byte(#b - i) do i = i + 1 end
  -- The suffix must start on a character's first byte in both.
  while i > 0 do
    local fa, fb = a:byte(#a - i + 1), b:byte(#b - i + 1)
    if (fa >= 0x80 and fa < 0xC0) or (fb >= 0x80 and fb < 0xC0) then i = i - 1 else break end
  end
  return i
end

--- The change that turns `old` (the buffer's lines before, with `eol`) into
--- the buffer after Neovim replaced lines [first, last_old) by `new_lines`
--- (lines first .. last_new-1 now). Returns {start, end, text} in document
--- positions (old text), trimmed to what really changed, or nil for none.
function M.change(old, eol, first, last_old, new_lines)
  local old_count = #old
  local region_old = {}
  for i = first + 1, last_old do region_old[#region_old + 1] = old[i] end
  local start, old_text, new_text
  -- Express the region as text with a newline after each line, starting at
  -- {first, 0}; at the buffer's end (no line after it) start from the end of
  -- the line before instead, newline first, so 'eol' never enters the change.
  if last_old < old_count or (first == last_old and first < old_count) then
    start = { line = first, column = 0 }
    old_text = #region_old > 0 and (table.concat(region_old, "\n") .. "\n") or ""
    new_text = #new_lines > 0 and (table.concat(new_lines, "\n") .. "\n") or ""
  elseif first > 0 then
    local before = old[first]
    start = { line = first - 1, column = M.len(before) }
    old_text = #region_old > 0 and ("\n" .. table.concat(region_old, "\n")) or ""
    new_text = #new_lines > 0 and ("\n" .. table.concat(new_lines, "\n")) or ""
  else
    -- The whole buffer replaced.
    start = { line = 0, column = 0 }
    old_text = table.concat(region_old, "\n")
    new_text = table.concat(new_lines, "\n")
  end
  if old_text == new_text then return nil end
  local p = common_prefix(old_text, new_text)
  local s = common_suffix(old_text, new_text, p)
  local prefix = old_text:sub(1, p)
  local from = M.advance(start, prefix)
  local to = M.advance(from, old_text:sub(p + 1, #old_text - s))
  return { start = from, ["end"] = to, text = new_text:sub(p + 1, #new_text - s) }
end

--- Applies a document change to `lines`/`eol` (a copy is returned): the
--- reference the plugin's buffer is checked against in tests, and how a
--- change at the text's very end (past the last line) is done.
function M.apply(lines, eol, change)
  local text = table.concat(lines, "\n") .. (eol and "\n" or "")
  local a = M.offset(lines, eol, change.start)
  local b = M.offset(lines, eol, change["end"])
  if not a or not b or b < a then return nil end
  local out = text:sub(1, a) .. change.text .. text:sub(b + 1)
  return M.lines_of(out)
end

--- Byte offset in the text of a document position; nil when out of range.
function M.offset(lines, eol, pos)
  if pos.line == #lines then
    if eol and pos.column == 0 then
      return #table.concat(lines, "\n") + 1
    end
    return nil
  end
  if pos.line < 0 or pos.line > #lines - 1 then return nil end
  local off = 0
  for i = 1, pos.line do off = off + #lines[i] + 1 end
  local b = M.byte_col(lines[pos.line + 1], pos.column)
  if not b then return nil end
  return off + b
end

return M
