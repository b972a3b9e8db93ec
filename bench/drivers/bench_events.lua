-- The benchmark's events for the Lua drivers: the event bench_client.c sends (same ids,
-- name, ten properties with a nested object and an array, same context) as client:track
-- fields, and as a walkerOS "product view" event (common.py has the Python twins).
local M = {}

local function fmt(x, w) return string.format("%0" .. w .. "d", x) end

function M.event_fields(k)
  return {
    userId = "user-" .. fmt(k % 100000, 6),
    anonymousId = "anon-" .. fmt(k % 100000, 6),
    event = "Product Viewed",
    properties = {
      product_id = "sku-" .. fmt(k % 5000, 5), name = "Everyday Ruck Snack", price = 42.5,
      currency = "USD", quantity = k % 9 + 1, category = "Backpacks", brand = "Acme",
      variant = "black", position = 3, dimensions = { w = 30, h = 45 },
      tags = { "new", "sale", "outdoor" },
    },
    context = { ip = "203.0.113.7", locale = "en-US" },
  }
end

function M.walker_event(k)
  return {
    name = "product view", entity = "product", action = "view",
    data = {
      id = "sku-" .. fmt(k % 5000, 5), name = "Everyday Ruck Snack", price = 42.5,
      currency = "USD", quantity = k % 9 + 1, category = "Backpacks", brand = "Acme",
      variant = "black", position = 3, dimensions = { w = 30, h = 45 },
      tags = { "new", "sale", "outdoor" },
    },
    user = { id = "user-" .. fmt(k % 100000, 6), session = "anon-" .. fmt(k % 100000, 6) },
    consent = { functional = true }, timestamp = 1764000000000 + k, trigger = "load",
    source = { type = "server", schema = "4" },
  }
end

return M
