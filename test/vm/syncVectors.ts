// Known HMAC-SHA256, HKDF-SHA256 and SHA-256 vectors, computed in Node (node:crypto): the VM test
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
/**
 * Board desk-a's key: HKDF-SHA256(SITE_KEY, "dialguard board key desk-a"),
 * what `dialguard flash` gives it and what it derives from a site key.
 */
export const BOARD_KEY =
    "fa279eaf8e94e41bbd6402ba435d569bfb7a3349385e5afd5b135fa625bff034"
/** The board policy, as signed (with BOARD_KEY). */
export const POLICY_TEXT =
    '{"version":4,"board":"desk-a","site":{"name":"HQ 南京","areaCode":"025","ipPrefix":"17909","emergency":["110","119","120","122","12395"],"premiumPrefixes":["160xxxxx","168xxxxx","12590"],"outsideLinePrefix":"","ringsBeforeForward":3,"blocked":[],"allowed":[],"timers":{"firstDigitMs":16000,"interDigitMs":10000,"shortMs":3000}},"departments":[{"id":"admin","name":"人事行政部","floor":3,"x":10,"y":4}],"handsets":[{"extension":"8001","department":"admin","allow":"domestic","receiveOnly":false,"suspended":false,"name":""}],"extensions":"","forward":{"":"8001"}}'
export const POLICY_SIG =
    "d862c1154cc4a753748a919fd056d8ec6f3284195db88e7d072bd2a9d4943728"
/**
 * How a board's state names that policy once it enforces it ("policyHash"):
 * the first 16 hex digits of the SHA-256 of its UTF-8 bytes.
 */
export const POLICY_HASH = "1d4e167dfe2eaf47"
/** The payload on dialguard/hq/desk-a/policy: {v, site, board, version, policy, sig}. */
export const POLICY_PAYLOAD =
    '{"v":1,"site":"hq","board":"desk-a","version":4,"policy":"{\\"version\\":4,\\"board\\":\\"desk-a\\",\\"site\\":{\\"name\\":\\"HQ 南京\\",\\"areaCode\\":\\"025\\",\\"ipPrefix\\":\\"17909\\",\\"emergency\\":[\\"110\\",\\"119\\",\\"120\\",\\"122\\",\\"12395\\"],\\"premiumPrefixes\\":[\\"160xxxxx\\",\\"168xxxxx\\",\\"12590\\"],\\"outsideLinePrefix\\":\\"\\",\\"ringsBeforeForward\\":3,\\"blocked\\":[],\\"allowed\\":[],\\"timers\\":{\\"firstDigitMs\\":16000,\\"interDigitMs\\":10000,\\"shortMs\\":3000}},\\"departments\\":[{\\"id\\":\\"admin\\",\\"name\\":\\"人事行政部\\",\\"floor\\":3,\\"x\\":10,\\"y\\":4}],\\"handsets\\":[{\\"extension\\":\\"8001\\",\\"department\\":\\"admin\\",\\"allow\\":\\"domestic\\",\\"receiveOnly\\":false,\\"suspended\\":false,\\"name\\":\\"\\"}],\\"extensions\\":\\"\\",\\"forward\\":{\\"\\":\\"8001\\"}}","sig":"d862c1154cc4a753748a919fd056d8ec6f3284195db88e7d072bd2a9d4943728"}'
