// Time-zone abbreviations that clients write as a TZID with no VTIMEZONE. python
// icalendar up to 5.x writes `tzinfo.tzname(dt)` when the zone has no `zone` attribute
// (dateutil and zoneinfo zones): `JST`, `CEST` in summer and `CET` in winter for
// Europe/Berlin, `EST`/`EDT` for New York, `+08` for Singapore (tzdata has no letters
// there). An abbreviation is the offset in force at that instant plus a hint of the
// region, so each maps to the zones that use it, with the offset it means in each.
//
// Rule (docs/ARCHITECTURE.md, "Time zones"): the calendar's X-WR-TIMEZONE first when it is
// one of the candidates; then the first candidate whose offset at that instant is the one
// the abbreviation means (so `CEST` in July is Europe/Berlin, and `MST` in July, when
// Denver is on MDT, is America/Phoenix); else the first candidate's offset, fixed.
// Where an abbreviation is ambiguous the order says which reading wins, and why:
//   CST  North American Central first (the largest user of calendar software writing
//        it); in summer, when Chicago is on CDT, a CST time is China's (Asia/Shanghai,
//        whose tzdata abbreviation is CST all year).
//   IST  India first (one meaning all year, and the most people writing it); Irish
//        Summer Time and Israel Standard Time need X-WR-TIMEZONE to be read as such.
//   BST  British Summer Time only: Bangladesh is `+06` in tzdata, so no library writes
//        BST for it. A BST time in winter keeps +01:00.
//   PST  Pacific first; when Los Angeles is on PDT, a PST time is the Philippines'.
//   AST  Atlantic (Halifax) first; Arabia Standard Time is `+03` in tzdata.
//   EST, MST, HST, CET, EET, WET, MET are also legacy IANA names with fixed offsets or
//        EU rules; they are read as abbreviations first, so a New York series written
//        with TZID=EST in January keeps New York's DST in July.
//   GMT  is UTC (Apple and Java write it for UTC), never Europe/London in winter.

/** Abbreviation → [IANA zone, minutes east of UTC the abbreviation means there]. */
export const ABBREVIATIONS: Readonly<Record<string, readonly (readonly [string, number])[]>> = {
  // North America
  EST: [['America/New_York', -300]],
  EDT: [['America/New_York', -240]],
  CST: [['America/Chicago', -360], ['Asia/Shanghai', 480]],
  CDT: [['America/Chicago', -300]],
  MST: [['America/Denver', -420], ['America/Phoenix', -420]],
  MDT: [['America/Denver', -360]],
  PST: [['America/Los_Angeles', -480], ['Asia/Manila', 480]],
  PDT: [['America/Los_Angeles', -420]],
  AKST: [['America/Anchorage', -540]],
  AKDT: [['America/Anchorage', -480]],
  HST: [['Pacific/Honolulu', -600]],
  AST: [['America/Halifax', -240], ['America/Puerto_Rico', -240]],
  ADT: [['America/Halifax', -180]],
  NST: [['America/St_Johns', -210]],
  NDT: [['America/St_Johns', -150]],
  // Europe
  BST: [['Europe/London', 60]],
  IST: [['Asia/Kolkata', 330], ['Europe/Dublin', 60], ['Asia/Jerusalem', 120]],
  WET: [['Europe/Lisbon', 0]],
  WEST: [['Europe/Lisbon', 60]],
  CET: [['Europe/Berlin', 60]],
  CEST: [['Europe/Berlin', 120]],
  MET: [['Europe/Berlin', 60]],
  MEST: [['Europe/Berlin', 120]],
  MEZ: [['Europe/Berlin', 60]],
  MESZ: [['Europe/Berlin', 120]],
  EET: [['Europe/Athens', 120]],
  EEST: [['Europe/Athens', 180]],
  MSK: [['Europe/Moscow', 180]],
  // Asia, Pacific
  IDT: [['Asia/Jerusalem', 180]],
  PKT: [['Asia/Karachi', 300]],
  WIB: [['Asia/Jakarta', 420]],
  HKT: [['Asia/Hong_Kong', 480]],
  SGT: [['Asia/Singapore', 480]],
  AWST: [['Australia/Perth', 480]],
  JST: [['Asia/Tokyo', 540]],
  KST: [['Asia/Seoul', 540]],
  ACST: [['Australia/Adelaide', 570], ['Australia/Darwin', 570]],
  ACDT: [['Australia/Adelaide', 630]],
  AEST: [['Australia/Sydney', 600], ['Australia/Brisbane', 600]],
  AEDT: [['Australia/Sydney', 660]],
  NZST: [['Pacific/Auckland', 720]],
  NZDT: [['Pacific/Auckland', 780]],
  // Africa
  WAT: [['Africa/Lagos', 60]],
  CAT: [['Africa/Maputo', 120]],
  SAST: [['Africa/Johannesburg', 120]],
  EAT: [['Africa/Nairobi', 180]],
};
