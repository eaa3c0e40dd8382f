-- wrk: every request a distinct query (a counter in an unknown parameter, which the
-- mock ignores), so that no answer is served from the per-request cache of bodies.
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, wrk.path .. "&_bench=" .. counter)
end
