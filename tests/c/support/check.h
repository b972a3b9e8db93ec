/* A tiny test framework for the C tests.
 *
 *   static void test_something(void) {
 *     CHECK(x > 0, "x is %d", x);       // records file:line + message, carries on
 *     CHECK_EQ_INT(rc, 0);
 *     CHECK_EQ_STR(name, "ruddercore");  // NULL-safe
 *   }
 *   int main(void) { RUN(test_something); return check_summary(); }
 *
 * RUN prints "ok NAME" or "FAIL NAME"; check_summary prints "N passed, N failed" (counting test
 * functions) and returns the exit status. Header-only: include it from one .c file per test. */
#ifndef RUDDER_TEST_CHECK_H
#define RUDDER_TEST_CHECK_H

/* Which sanitizer the test is built with (gcc defines __SANITIZE_*, clang has __has_feature):
 * ThreadSanitizer cannot follow a multi-threaded fork, and sanitizers change memory figures. */
#if defined(__SANITIZE_THREAD__)
#define UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define UNDER_TSAN 1
#endif
#endif
#if defined(UNDER_TSAN) || defined(__SANITIZE_ADDRESS__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int check_failures_in_test_;  /* failures in the running test function */
static int check_tests_passed_, check_tests_failed_;

static void check_fail_(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), unused));
static void check_fail_(const char *file, int line, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "  %s:%d: ", file, line);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  fflush(stderr);
  check_failures_in_test_++;
}

/* CHECK(cond, fmt, ...): the message says what went wrong in the user's terms. */
#define CHECK(cond, ...)                                  \
  do {                                                    \
    if (!(cond)) check_fail_(__FILE__, __LINE__, __VA_ARGS__); \
  } while (0)

#define CHECK_EQ_INT(actual, expected)                                                      \
  do {                                                                                      \
    long long check_a_ = (long long)(actual), check_e_ = (long long)(expected);             \
    if (check_a_ != check_e_)                                                               \
      check_fail_(__FILE__, __LINE__, "%s == %lld, expected %s == %lld", #actual, check_a_, \
                  #expected, check_e_);                                                     \
  } while (0)

#define CHECK_EQ_STR(actual, expected)                                                    \
  do {                                                                                    \
    const char *check_a_ = (actual), *check_e_ = (expected);                              \
    if (!(check_a_ == check_e_ || (check_a_ && check_e_ && strcmp(check_a_, check_e_) == 0))) \
      check_fail_(__FILE__, __LINE__, "%s == \"%s\", expected \"%s\"", #actual,           \
                  check_a_ ? check_a_ : "(null)", check_e_ ? check_e_ : "(null)");        \
  } while (0)

/* The number of failures recorded so far in the running test (to bail out early). */
#define CHECK_FAILURES() (check_failures_in_test_)

#define RUN(fn)                                               \
  do {                                                        \
    check_failures_in_test_ = 0;                              \
    fprintf(stderr, "-- %s\n", #fn);                          \
    fn();                                                     \
    if (check_failures_in_test_) {                            \
      check_tests_failed_++;                                  \
      printf("FAIL %s\n", #fn);                               \
    } else {                                                  \
      check_tests_passed_++;                                  \
      printf("ok %s\n", #fn);                                 \
    }                                                         \
    fflush(stdout);                                           \
  } while (0)

static int check_summary(void) __attribute__((unused));
static int check_summary(void) {
  printf("%d passed, %d failed\n", check_tests_passed_, check_tests_failed_);
  fflush(stdout);
  return check_tests_failed_ ? 1 : 0;
}

#endif
