// Package pwaudit is the opt-in weak-password audit (check weak-password, class
// auth-attempts): with an administrator's session it reads the account list and the lockout
// policy over MS-SAMR (package samr), then tries password lists against each account, one
// NTLMv2 logon per attempt, and reports which account accepted which list entry.
//
// Three rules make it safe to run on a production network:
//
//   - The lockout policy is read first, and Budget caps the failed attempts per account at
//     threshold − 2 − the account's own failed logons (badPwdCount, read over SAMR first)
//     within one observation window. An account locks when its count reaches the threshold:
//     one failure the audit cannot see still leaves it below. Locked and disabled accounts
//     are not tried. No policy, no attempts, unless the
//     administrator gives an explicit budget. No lockout (threshold 0) still caps at
//     NoLockoutCap, so an audit never floods a security log.
//   - An account stops at its first success and at any sign of lockout or restriction
//     (STATUS_ACCOUNT_LOCKED_OUT, STATUS_ACCOUNT_DISABLED, …): see Classify.
//   - A password never leaves this package. Results name the list and the entry's index
//     (Ref, e.g. "conficker#46"); List keeps its entries unexported and formats without them.
//
// The SAM read is RPC-agnostic (Caller: one DCE/RPC call on a bound \samr pipe) and the logon
// is a function (Logon), so the audit runs the same over SMB1, SMB2 and in tests.
package pwaudit
