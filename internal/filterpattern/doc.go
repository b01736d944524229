// Package filterpattern parses and evaluates the CloudWatch Logs filter pattern language, the
// language of metric filters, subscription filters and FilterLogEvents.
//
// The audit judges a metric filter by what it matches, so it needs the same answer CloudWatch
// gives for a pattern and an event; the alert relay re-checks fetched events with it; the CLI's
// `pattern match` uses it on any log line. All four forms are supported: JSON patterns `{ … }`,
// space-delimited patterns `[ … ]`, term patterns and a standalone `%regex%`.
//
// Where the AWS documentation is silent, this package decides as follows (TestMetricFilter is
// the authority when in doubt):
//   - `!=` on a missing property is false, as it is for a selector that reaches an object or an
//     array (the documented value-node rule).
//   - A string value compared with a number, boolean or null is compared with that value's JSON
//     text; a numeric value compared with a string compares numerically when the string is a
//     number, and is otherwise unequal.
//   - `= *` is true for any scalar, null included.
//   - Keywords (IS NULL, NOT EXISTS, IS TRUE, IS FALSE) are accepted in any case.
//   - In quoted strings, `\"` and `\\` are escapes; any other backslash is literal.
//   - In term patterns, `?` terms are OR-ed with one another, plain terms are all required and
//     `-` terms exclude, so `ERROR ?timeout ?refused -debug` needs ERROR, one of the two, and no
//     debug.
//   - A space-delimited pattern without `...` needs exactly as many fields as it names.
package filterpattern
