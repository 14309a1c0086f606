// Known HMAC-SHA256 and SHA-256 vectors, computed in Node (node:crypto): the VM test
// (sync.test.ts, entry main-sync.ts) checks that @devicescript/crypto on the
// board computes the same; test/sync.test.ts recomputes them in Node.

/** RFC 4231 test case 2. */
export const RFC4231_KEY = "Jefe"
export const RFC4231_DATA = "what do ya want for nothing?"
export const RFC4231_MAC =
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"

/**
 * A site key (64 hex digits) and the policy message `dialguard policy push`
 * builds for board desk-a (port 8001) of site hq from
 * {"version":4,"site":{"name":"HQ 南京","areaCode":"025"},"departments":[{"id":"admin",...}],
 * "handsets":[{"extension":"8001","department":"admin","allow":"domestic"}]}.
 */
export const SITE_KEY =
    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
/** The board policy, as signed. */
export const POLICY_TEXT =
    '{"version":4,"board":"desk-a","site":{"name":"HQ 南京","areaCode":"025","ipPrefix":"17909","emergency":["110","119","120","122","12395"],"premiumPrefixes":["160xxxxx","168xxxxx","12590"],"outsideLinePrefix":"","ringsBeforeForward":3,"blocked":[],"allowed":[],"timers":{"firstDigitMs":16000,"interDigitMs":10000,"shortMs":3000}},"departments":[{"id":"admin","name":"人事行政部","floor":3,"x":10,"y":4}],"handsets":[{"extension":"8001","department":"admin","allow":"domestic","receiveOnly":false,"suspended":false,"name":""}],"extensions":"","forward":{"":"8001"}}'
export const POLICY_SIG =
    "ced88ef50c5f570649a4979a5f61ddeab6ef9b943a27f39c6fed1fb1f6300992"
/**
 * How a board's state names that policy once it enforces it ("policyHash"):
 * the first 16 hex digits of the SHA-256 of its UTF-8 bytes.
 */
export const POLICY_HASH = "1d4e167dfe2eaf47"
/** The payload on dialguard/hq/desk-a/policy: {v, site, board, version, policy, sig}. */
export const POLICY_PAYLOAD =
    '{"v":1,"site":"hq","board":"desk-a","version":4,"policy":"{\\"version\\":4,\\"board\\":\\"desk-a\\",\\"site\\":{\\"name\\":\\"HQ 南京\\",\\"areaCode\\":\\"025\\",\\"ipPrefix\\":\\"17909\\",\\"emergency\\":[\\"110\\",\\"119\\",\\"120\\",\\"122\\",\\"12395\\"],\\"premiumPrefixes\\":[\\"160xxxxx\\",\\"168xxxxx\\",\\"12590\\"],\\"outsideLinePrefix\\":\\"\\",\\"ringsBeforeForward\\":3,\\"blocked\\":[],\\"allowed\\":[],\\"timers\\":{\\"firstDigitMs\\":16000,\\"interDigitMs\\":10000,\\"shortMs\\":3000}},\\"departments\\":[{\\"id\\":\\"admin\\",\\"name\\":\\"人事行政部\\",\\"floor\\":3,\\"x\\":10,\\"y\\":4}],\\"handsets\\":[{\\"extension\\":\\"8001\\",\\"department\\":\\"admin\\",\\"allow\\":\\"domestic\\",\\"receiveOnly\\":false,\\"suspended\\":false,\\"name\\":\\"\\"}],\\"extensions\\":\\"\\",\\"forward\\":{\\"\\":\\"8001\\"}}","sig":"ced88ef50c5f570649a4979a5f61ddeab6ef9b943a27f39c6fed1fb1f6300992"}'
