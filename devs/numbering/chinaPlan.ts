// Facts of the Chinese numbering plan that do not depend on the site.
// Sources: libphonenumber's PhoneNumberMetadata.xml and ShortNumberMetadata.xml
// (CN), the MIIT mobile allocation table and 12xxx public service numbers,
// operator pages (summarised in the team's telephony-cn.md reference).
// Portable: no @devicescript/* import, no RegExp.

/** Emergency numbers everywhere in mainland China. 112 is not one. */
export const DEFAULT_EMERGENCY = ["110", "119", "120", "122", "12395"]
/** Beijing Red Cross ambulance, only where the area code is 010. */
export const BEIJING_EMERGENCY = "999"

/** 声讯台: 160/168 + 5 digits, and China Mobile's 12590 voice SP lines. */
export const DEFAULT_PREMIUM = ["160xxxxx", "168xxxxx", "12590"]

/**
 * Carrier IP long-distance prefixes a user may dial in front of a number:
 * 17909 (billed to the line), 17900, 17901 China Telecom; 17911, 10193
 * China Unicom; 17951, 12593 China Mobile.
 */
export const IP_PREFIXES = [
    "17909",
    "17900",
    "17901",
    "17911",
    "17951",
    "10193",
    "12593",
]

/**
 * May `p` be a site's IP prefix? One of IP_PREFIXES, or another 179xx
 * code: the block the MIIT gives the carriers for IP long-distance access
 * (libphonenumber's CN carrier codes include 179xx too).
 */
export function isIpPrefix(p: string): boolean {
    if (IP_PREFIXES.indexOf(p) >= 0) return true
    if (p.length !== 5 || p.indexOf("179") !== 0) return false
    for (let i = 3; i < 5; ++i) {
        const c = p.charCodeAt(i)
        if (c < 48 || c > 57) return false
    }
    return true
}

/**
 * Mobile number blocks (first three digits); every mobile number has 11
 * digits. MIIT allocation: 13x, 145-149, 150-153, 155-159, 162, 165-167,
 * 170-173, 175-178, 18x, 190-193, 195-199. 160/168 are not mobile (premium).
 */
export const MOBILE_BLOCKS =
    "130 131 132 133 134 135 136 137 138 139 145 146 147 148 149 150 151 152 153 155 156 157 158 159 162 165 166 167 170 171 172 173 175 176 177 178 180 181 182 183 184 185 186 187 188 189 190 191 192 193 195 196 197 198 199"

/**
 * Short and service numbers: literal prefix, then how many more digits
 * (min-max). Sources: libphonenumber ShortNumberMetadata.xml (CN) and
 * PhoneNumberMetadata.xml (CN), the MIIT 12xxx public service numbers,
 * the carriers' own pages; every entry has a test (test/numbering.test.ts).
 * - 100xx carrier service (10000 China Telecom, 10010 China Unicom,
 *   10086 China Mobile)
 * - 114 directory; 116114 China Unicom and 118114 China Telecom (号码百事通)
 *   directory and information services
 * - 117 speaking clock
 * - 121xx public information services (ShortNumberMetadata: 121\d\d):
 *   12110 SMS police report, 12117 time, 12119 forest fire, 12121
 *   weather, 12122 highway rescue, 12123 traffic administration
 * - 123xx government hotlines (12300 MIIT telecom complaints, 12306
 *   railway, 12315 consumer, 12345 government service, ...; 12395 is an
 *   emergency number and wins by precedence)
 * - 12580 China Mobile information service (12590 next to it is premium,
 *   12593 an IP prefix)
 * - 95xxx(x) national enterprise, 96xxx(x) local service, 950 + 7-8 shared
 *   cost
 */
export const SERVICE_NUMBERS = [
    "100 2 2",
    "114 0 0",
    "116114 0 0",
    "117 0 0",
    "118114 0 0",
    "121 2 2",
    "123 2 2",
    "12580 0 0",
    "95 3 4",
    "96 3 4",
    "950 7 8",
]

/**
 * What may follow an area code instead of a subscriber number (those never
 * start with 0 or 1): that city's service numbers, a long-distance call
 * when it is not the own area. PhoneNumberMetadata.xml (CN) lists 100xx,
 * 123xx and 95xxx(x) after area codes as fixed-line numbers and 96xxx(x) as
 * shared cost; 114 (010 114: Beijing's directory) and 121xx (0 + area code
 * + 12121: that city's weather) are dialled so too.
 */
export const AREA_SERVICE = [
    "100 2 2",
    "114 0 0",
    "121 2 2",
    "123 2 2",
    "95 3 4",
    "96 3 4",
]

/**
 * Toll free 800 / 10800 / 21800 + 7 digits, shared cost 400 + 7 digits. A
 * local number starting 21800 (8-digit areas) waits the short timer, as the
 * 12-digit toll-free number may follow.
 */
export const TOLLFREE_NUMBERS = ["800 7 7", "400 7 7", "10800 7 7", "21800 7 7"]

/**
 * International: after 00 a calling code and number, 7 to 15 digits
 * (E.164) where the calling code is unknown; the lengths of every known
 * one, by its first national digits, are in countryLengths.ts (generated
 * from libphonenumber's metadata), so that a number is complete at its
 * last digit where its length is fixed.
 */
export const INTERNATIONAL_ANY = "7 15"

/** China's own calling code: 00 86 + a national number is a call inside China. */
export const CHINA_CALLING_CODE = "86"

/**
 * National numbers (the start of them) that are dialled without the trunk
 * prefix 0: mobiles and short numbers (1x; 10 is Beijing's area code),
 * toll free 10800 / 21800 / 400 / 800 and shared cost 950. Every other
 * national number is area code + subscriber, dialled with the 0.
 */
export const NATIONAL_NO_TRUNK =
    "10800 11 12 13 14 15 16 17 18 19 21800 400 800 950"

/**
 * The national form of a national number dialled after 00 86, from its
 * first digits: "" while they could still start a number without the trunk
 * prefix, else the digits to match ("0" + them for area code +
 * subscriber); undefined when it starts with 0 (a national number never
 * does).
 */
export function nationalForm(first: string): string | undefined {
    if (first.charAt(0) === "0") return undefined
    const list = " " + NATIONAL_NO_TRUNK + " "
    if (list.indexOf(" " + first + " ") >= 0) return first
    if (list.indexOf(" " + first) >= 0) return ""
    return "0" + first
}
