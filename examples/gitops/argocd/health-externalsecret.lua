-- Argo CD health of an ExternalSecret served by secretsync, from its Ready condition:
-- True -> Healthy; False -> Degraded with the reason and message (the Secret keeps its last good
-- value; docs/troubleshooting.md lists every reason); no condition yet -> Progressing.
local hs = { status = "Progressing", message = "waiting for the first sync" }
if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil then
  hs.message = "being deleted"
  return hs
end
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
for _, c in ipairs(obj.status.conditions) do
  if c.type == "Ready" then
    if c.status == "True" then
      hs.status = "Healthy"
      hs.message = c.message or c.reason or "synced"
    elseif c.status == "False" then
      hs.status = "Degraded"
      hs.message = (c.reason or "NotReady") .. ": " .. (c.message or "")
    else
      hs.message = c.message or "sync in progress"
    end
    return hs
  end
end
return hs
