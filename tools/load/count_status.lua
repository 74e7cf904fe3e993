-- wrk script for scripts/load.sh: sends the request given in the environment (PARLEY_LOAD_BODY file,
-- PARLEY_LOAD_TYPE content type, PARLEY_LOAD_PATH, optional PARLEY_LOAD_KEY) and counts the answers by HTTP status.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  local f = assert(io.open(os.getenv("PARLEY_LOAD_BODY"), "rb"))
  wrk.body = f:read("*a")
  f:close()
  wrk.method = "POST"
  wrk.path = os.getenv("PARLEY_LOAD_PATH")
  wrk.headers["Content-Type"] = os.getenv("PARLEY_LOAD_TYPE")
  local key = os.getenv("PARLEY_LOAD_KEY")  -- an API key (serve --api-key), sent as OpenAI clients do
  if key and key ~= "" then wrk.headers["Authorization"] = "Bearer " .. key end
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do
      total[status] = (total[status] or 0) + n
    end
  end
  for status, n in pairs(total) do
    io.write(string.format("status %d: %d\n", status, n))
  end
  io.write(string.format("socket errors: connect %d, read %d, write %d, timeout %d\n", summary.errors.connect,
                         summary.errors.read, summary.errors.write, summary.errors.timeout))
end
