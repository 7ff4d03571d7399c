-- Property test of the plugin's text model (weave.text), run headless by
-- EndToEndTests/NeovimTests: random texts and random line changes as Neovim
-- reports them (on_lines); the change the plugin would send, applied to the
-- text, must give the buffer's new text. SEED picks the seed (printed).
-- Run: SEED=7 nvim --headless -u NONE -c "luafile Editors/nvim/tests/text_spec.lua" -c "qa!"
local here = debug.getinfo(1, "S").source:sub(2):match("(.*/)tests/") or "./"
package.path = here .. "lua/?.lua;" .. package.path
local t = require("weave.text")
local seed = tonumber(os.getenv("SEED") or "1")
math.randomseed(seed)
local alphabet = { "a", "b", "\n", "é", "日", "🙂", " " }
local fails = 0
for round = 1, 3000 do
  -- a random text
  local s = ""
  for i = 1, math.random(0, 12) do s = s .. alphabet[math.random(#alphabet)] end
  local lines, eol = t.lines_of(s)
  -- a random line-level change, as Neovim reports it
  local n = #lines
  local first = math.random(0, n)
  local last_old = math.random(first, n)
  local new_lines = {}
  for i = 1, math.random(0, 3) do
    local l = ""
    for j = 1, math.random(0, 3) do local c = alphabet[math.random(#alphabet)]; if c ~= "\n" then l = l .. c end end
    new_lines[#new_lines + 1] = l
  end
  -- Neovim never leaves zero lines
  local after = {}
  for i = 1, first do after[#after + 1] = lines[i] end
  for _, l in ipairs(new_lines) do after[#after + 1] = l end
  for i = last_old + 1, n do after[#after + 1] = lines[i] end
  if #after > 0 then
    local expected = table.concat(after, "\n") .. (eol and "\n" or "")
    local c = t.change(lines, eol, first, last_old, new_lines)
    local got
    if c then
      local l2, e2 = t.apply(lines, eol, c)
      got = l2 and (table.concat(l2, "\n") .. (e2 and "\n" or "")) or "<out of range>"
    else
      got = s
    end
    if got ~= expected then
      fails = fails + 1
      if fails < 5 then print(("round %d: %q first=%d last_old=%d new=%s -> got %q expected %q"):format(round, s, first, last_old, vim.inspect(new_lines), got, expected)) end
    end
  end
end
-- Column conversions on wide and combining text.
local line = "aé日🙂e\204\129"
assert(t.len(line) == 6, "len")
assert(t.byte_col(line, 3) == 6 and t.byte_col(line, 4) == 10 and t.byte_col(line, 6) == #line and t.byte_col(line, 7) == nil, "byte_col")
assert(t.char_col(line, 10) == 4, "char_col")
print(("weave.text: seed %d, %d mismatches"):format(seed, fails))
if fails > 0 then vim.cmd("cquit 1") end
