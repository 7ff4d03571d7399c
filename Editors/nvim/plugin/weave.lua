-- Commands of Weave's Neovim plugin (docs/EDITORS.md). Load it by adding
-- this folder (Editors/nvim) to 'runtimepath'.
if vim.g.loaded_weave then return end
vim.g.loaded_weave = true

local function weave() return require("weave") end
local command = vim.api.nvim_create_user_command

command("WeaveJoin", function(o) weave().join(o.args) end, { nargs = "+", desc = "HOST:PORT --invite TOKEN [FILE|DIR/]" })
command("WeaveHost", function(o) weave().host(o.args) end, { nargs = "*", complete = "dir", desc = "share this buffer's file, or [DIR]; [PORT]" })
command("WeaveFiles", function() weave().files() end, { desc = "the shared folder's files" })
command("WeaveStop", function() weave().stop() end, {})
command("WeaveOffline", function() weave().offline() end, { desc = "go offline / back online" })
command("WeavePeers", function() weave().peers() end, {})
command("WeaveJump", function(o) weave().jump(o.args) end, { nargs = 1 })
command("WeaveFollow", function(o) weave().follow(o.args) end, { nargs = "?", desc = "NAME; no name stops" })
command("WeaveHistory", function() weave().history() end, {})
