import { ServiceClass, SERVICE_CLASSES } from "../policy/types"

export type Category =
    | "internal"
    | "emergency"
    | "local"
    | "mobile"
    | "domestic"
    | "international"
    | "tollfree"
    | "service"
    | "premium"
    | "invalid"

/**
 * When two numbering rules both fit the digits dialled, the one earlier in
 * this list wins (emergency over a 123xx hotline, an extension over a
 * public number).
 */
export const CATEGORY_PRECEDENCE: Category[] = [
    "emergency",
    "premium",
    "internal",
    "tollfree",
    "service",
    "mobile",
    "local",
    "domestic",
    "international",
    "invalid",
]

/** The class of service a category needs; undefined = none needed. */
export function requiredClass(cat: Category): ServiceClass | undefined {
    switch (cat) {
        case "local":
        case "mobile":
        case "tollfree":
        case "service":
            return "local"
        case "domestic":
            return "domestic"
        case "international":
            return "international"
    }
    return undefined
}

export function classRank(c: ServiceClass | undefined): number {
    return c ? SERVICE_CLASSES.indexOf(c) : -1
}

/** Long-distance categories get the site's IP prefix. */
export function isLongDistance(cat: Category): boolean {
    return cat === "domestic" || cat === "international"
}
