// Known HMAC-SHA256 vectors, computed in Node (node:crypto): the VM test
// (sync.test.ts, entry main-sync.ts) checks that @devicescript/crypto on the
// board computes the same; test/sync.test.ts recomputes them in Node.

/** RFC 4231 test case 2. */
export const RFC4231_KEY = "Jefe"
export const RFC4231_DATA = "what do ya want for nothing?"
export const RFC4231_MAC =
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"

/** A site key (64 hex digits) and a policy message as `dialguard policy push` builds it. */
export const SITE_KEY =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
export const POLICY_TEXT =
    '{"version":4,"site":{"name":"HQ 南京","areaCode":"025"},"departments":[{"id":"admin","name":"人事行政部","floor":3,"x":10,"y":4}],"handsets":[{"extension":"8001","department":"admin","allow":"domestic"}]}'
export const POLICY_SIG =
    "701d8fb4aaefe9028bf8e860d1c8e2eecbfd227d7e20c28f7dc5deda228e3c46"
/** The payload on dialguard/hq/policy: {v, site, version, policy, sig}. */
export const POLICY_PAYLOAD =
    '{"v":1,"site":"hq","version":4,"policy":"{\\"version\\":4,\\"site\\":{\\"name\\":\\"HQ 南京\\",\\"areaCode\\":\\"025\\"},\\"departments\\":[{\\"id\\":\\"admin\\",\\"name\\":\\"人事行政部\\",\\"floor\\":3,\\"x\\":10,\\"y\\":4}],\\"handsets\\":[{\\"extension\\":\\"8001\\",\\"department\\":\\"admin\\",\\"allow\\":\\"domestic\\"}]}","sig":"701d8fb4aaefe9028bf8e860d1c8e2eecbfd227d7e20c28f7dc5deda228e3c46"}'
