-- Argo CD health of a SecretStore or ClusterSecretStore served by secretsync: Ready True (reason
-- Valid, possibly with notes about optional permissions) -> Healthy; False (InvalidProviderConfig,
-- ValidationFailed) -> Degraded with the message naming what to grant or fix; none yet -> Progressing.
local hs = { status = "Progressing", message = "waiting for validation" }
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
for _, c in ipairs(obj.status.conditions) do
  if c.type == "Ready" then
    if c.status == "True" then
      hs.status = "Healthy"
      hs.message = c.message or "store validated"
    elseif c.status == "False" then
      hs.status = "Degraded"
      hs.message = (c.reason or "NotReady") .. ": " .. (c.message or "")
    end
    return hs
  end
end
return hs
