// Facts of the Chinese numbering plan that do not depend on the site.
// Sources: ../shared/reference/telephony-cn.md (libphonenumber CN metadata,
// MIIT mobile allocation table, operator pages).

/** Emergency numbers everywhere in mainland China. 112 is not one. */
export const DEFAULT_EMERGENCY = ["110", "119", "120", "122", "12395"]
/** Beijing Red Cross ambulance, only where the area code is 010. */
export const BEIJING_EMERGENCY = "999"

/** 声讯台: 160/168 + 5 digits, and China Mobile's 12590 voice SP lines. */
export const DEFAULT_PREMIUM = ["160xxxxx", "168xxxxx", "12590"]

/** Carrier IP long-distance prefixes a user may dial in front of a number. */
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
 * Mobile number blocks (first three digits); every mobile number has 11
 * digits. MIIT allocation: 13x, 145-149, 150-153, 155-159, 162, 165-167,
 * 170-173, 175-178, 18x, 190-193, 195-199. 160/168 are not mobile (premium).
 */
export const MOBILE_BLOCKS =
    "130 131 132 133 134 135 136 137 138 139 145 146 147 148 149 150 151 152 153 155 156 157 158 159 162 165 166 167 170 171 172 173 175 176 177 178 180 181 182 183 184 185 186 187 188 189 190 191 192 193 195 196 197 198 199"

/**
 * Short and service numbers: literal prefix, then how many more digits
 * (min-max). 100xx carrier service (10000, 10010, 10086), 114 directory,
 * 117 clock, 12121 weather, 123xx government hotlines (12315, 12345,
 * 12306), 95xxx(x) national enterprise, 96xxx(x) local service, 950 + 7-8
 * shared cost.
 */
export const SERVICE_NUMBERS = [
    "100 2 2",
    "114 0 0",
    "117 0 0",
    "12121 0 0",
    "123 2 2",
    "95 3 4",
    "96 3 4",
    "950 7 8",
]

/**
 * Toll free 800 / 10800 / 21800 + 7 digits, shared cost 400 + 7 digits. A
 * local number starting 21800 (8-digit areas) waits the short timer, as the
 * 12-digit toll-free number may follow.
 */
export const TOLLFREE_NUMBERS = ["800 7 7", "400 7 7", "10800 7 7", "21800 7 7"]

/**
 * International: after 00 a country code and number, 7 to 15 digits (E.164
 * allows 15). Where the length is known the call completes without a timer:
 * NANP +1 (10), Hong Kong +852 (8; 800 toll free 9, 900 premium 5-11),
 * Macau +853 (8; 0800 toll free 7), Taiwan +886 (8-9; 202 premium 7, 70
 * VoIP 10-11). Lengths from libphonenumber's metadata; a longer prefix
 * overrides a shorter one.
 */
export const INTERNATIONAL_ANY = "7 15"
export const INTERNATIONAL_KNOWN = [
    "1 10 10",
    "852 8 8",
    "852800 6 6",
    "852900 2 8",
    "853 8 8",
    "8530 6 6",
    "886 8 9",
    "886202 4 4",
    "88670 8 9",
]

/** Service numbers also reachable in another city after its area code. */
export const AREA_SERVICE = ["100 2 2", "123 2 2", "95 3 4"]
