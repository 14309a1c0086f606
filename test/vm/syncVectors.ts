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
/** The board policy, as signed (with BOARD_KEY): JSON in short lines (devs/policy/policyLines.ts). */
export const POLICY_TEXT =
    '{\n"version":4,"board":"desk-a",\n"site":{\n"name":"HQ 南京","areaCode":"025","ipPrefix":"17909","emergency":["110","119","120","122","12395"],"premiumPrefixes":["160xxxxx","168xxxxx","12590"],"outsideLinePrefix":"",\n"ringsBeforeForward":3,"blocked":[],"allowed":[],"timers":{"firstDigitMs":16000,"interDigitMs":10000,"shortMs":3000}\n},\n"departments":[\n{"id":"admin","name":"人事行政部","floor":3,"x":10,"y":4}\n],\n"handsets":[\n{"extension":"8001","department":"admin","allow":"domestic","receiveOnly":false,"suspended":false,"name":""}\n],\n"extensions":"",\n"forward":{\n"":"8001"\n}\n}'
export const POLICY_SIG =
    "cb87d7c540ed1cfedb4ae0c52b17943259c61a51c677fad65a9daf3838302e17"
/**
 * How a board's state names that policy once it enforces it ("policyHash"):
 * the first 16 hex digits of the SHA-256 of its UTF-8 bytes.
 */
export const POLICY_HASH = "325c31620e859243"
/** The payload on dialguard/hq/desk-a/policy: the header line {v, site, board, version, sig}, then the policy text. */
export const POLICY_PAYLOAD =
    '{"v":2,"site":"hq","board":"desk-a","version":4,"sig":"cb87d7c540ed1cfedb4ae0c52b17943259c61a51c677fad65a9daf3838302e17"}\n{\n"version":4,"board":"desk-a",\n"site":{\n"name":"HQ 南京","areaCode":"025","ipPrefix":"17909","emergency":["110","119","120","122","12395"],"premiumPrefixes":["160xxxxx","168xxxxx","12590"],"outsideLinePrefix":"",\n"ringsBeforeForward":3,"blocked":[],"allowed":[],"timers":{"firstDigitMs":16000,"interDigitMs":10000,"shortMs":3000}\n},\n"departments":[\n{"id":"admin","name":"人事行政部","floor":3,"x":10,"y":4}\n],\n"handsets":[\n{"extension":"8001","department":"admin","allow":"domestic","receiveOnly":false,"suspended":false,"name":""}\n],\n"extensions":"",\n"forward":{\n"":"8001"\n}\n}'
