// gcverify's properties as a GoogleTest suite for any machine: each property
// is a test, checked with RapidCheck against the reference model on fresh
// systems from a factory. For your own machine, in a test executable linked
// with gcverify::props and GTest::gtest_main:
//
//   // my_heap_props_test.cc
//   #include "gcverify/property_suite.h"
//   #include "my_heap_machine.h"
//
//   GCV_INSTANTIATE_PROPERTY_SUITE(my_heap, "my_heap", [] { return make_my_heap_machine(); });
//
// and with CMake, gtest_discover_tests(my_heap_props_test NO_PRETTY_VALUES):
// the tests are then my_heap/PropertySuite.Lockstep/my_heap and so on.
// Include this header in exactly one source file of a test executable: it
// defines the tests (GoogleTest registers them from static initializers, which
// an object file of a static library would not bring into the link), so a
// second file that includes it defines them twice. That file may instantiate
// the suite for several machines.
//
// Stateful properties: one RapidCheck command per heap-program operation,
// run in lockstep on the model and on the system under test (props.h's
// LockstepRun), then the property's own invariant:
//   Lockstep              everything the executor compares for the fuzzer
//   NoPrematureFree       every object the model can reach from a name is
//                         alive in the system, intact, of the same kind and
//                         size (a container's with container_payload); the
//                         system frees nothing the model keeps alive
//   NoLeak                the system keeps nothing alive the model freed, and
//                         its teardown leaves nothing
//   ExactRefcounts        every live object's refcount is the model's (a
//                         small int's with small_int_refcounts)
//   ExactCollections      every collection's generation and result, the
//                         stats, and with generations the counts, thresholds
//                         and isenabled(), with freeze the freeze count
//   AutomaticCollections  collections happen exactly when the model says
//   FreezeProtects        frozen objects stay alive (and, with generations,
//                         in the permanent generation) until unfrozen
//   FinalizersRunAtMostOnce   no object's finalizer runs twice
//   GarbageIsTheUncollectable gc.garbage holds what the model says
// Metamorphic properties, over whole generated programs (without the
// operations that would make them false: props/src/properties.cc says which):
//   CollectingEachGenerationEqualsAFullCollection     collect(0), collect(1),
//                         collect(2) leave alive what collect(2) alone does
//   ThresholdsNeverChangeWhatSurvivesAFullCollection  after a full collection
//                         a program leaves alive the same with its thresholds
//                         or with one fixed threshold
//   TextBinaryRoundTripBehavesIdentically  a program printed, parsed, encoded
//                         and decoded ends in the same objects and states
// Programs hold only operations within the system's capabilities, and a
// property that needs a capability the system lacks is skipped ("not
// applicable to my_heap: needs generations"). Each property runs
// set_case_budget's number of cases (props.h); a failure prints RapidCheck's
// shrunk counterexample as heap-program text, and a reproduce string that
// reruns it:
//
//   RC_PARAMS="reproduce=..." my_heap_props_test --gtest_filter=my_heap/PropertySuite.NoLeak/my_heap
#pragma once

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cctype>
#include <initializer_list>
#include <ostream>
#include <string>

#include "gcverify/capabilities.h"
#include "gcverify/program.h"
#include "gcverify/props.h"

namespace gcv::props {

// What the suite is instantiated with.
struct SystemUnderTest {
  std::string name;  // in test names (each character but letters and digits
                     // becomes '_') and in skip messages
  SutFactory make;
};
inline void PrintTo(const SystemUnderTest& sut, std::ostream* os) { *os << sut.name; }
// The instantiation's test-name suffix: the system's name, as above.
struct SystemUnderTestName {
  std::string operator()(const testing::TestParamInfo<SystemUnderTest>& info) const {
    std::string name = info.param.name;
    for (char& c : name)
      if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
    return name;
  }
};

class PropertySuite : public testing::TestWithParam<SystemUnderTest> {
 protected:
  static void SetUpTestSuite() { set_case_budget(); }
  // Asks a fresh system for its capabilities.
  void SetUp() override { capabilities_ = GetParam().make()->capabilities(); }

  // Skips the test ("not applicable to NAME: needs CAPABILITIES") unless the
  // system declares every capability of `needs`; otherwise fails it unless
  // `property` holds for every case of the budget (rc::check, described by
  // the test's full name, which a reproduce string names).
  void check(std::initializer_list<Capability> needs, Property property) {
    Capabilities missing;
    for (Capability c : needs)
      if (!capabilities_.has(c)) missing = missing.with(c);
    if (!missing.empty()) GTEST_SKIP() << "not applicable to " << GetParam().name << ": needs " << missing.to_string();
    const testing::TestInfo& test = *testing::UnitTest::GetInstance()->current_test_info();
    const std::string description = std::string(test.test_suite_name()) + "." + test.name();
    EXPECT_TRUE(rc::check(description, [&] { property(GetParam().make, capabilities_); }))
        << "RapidCheck's counterexample and reproduce string are on stderr";
  }

 private:
  Capabilities capabilities_;
};

// Each test checks the property of props.h named after it, with the
// capabilities it needs.
TEST_P(PropertySuite, Lockstep) { check({}, properties::lockstep); }
TEST_P(PropertySuite, NoPrematureFree) { check({}, properties::no_premature_free); }
TEST_P(PropertySuite, NoLeak) { check({}, properties::no_leak); }
TEST_P(PropertySuite, ExactRefcounts) { check({}, properties::exact_refcounts); }
TEST_P(PropertySuite, ExactCollections) { check({}, properties::exact_collections); }
TEST_P(PropertySuite, AutomaticCollections) { check({Capability::Generations}, properties::automatic_collections); }
TEST_P(PropertySuite, FreezeProtects) { check({Capability::Freeze}, properties::freeze_protects); }
TEST_P(PropertySuite, FinalizersRunAtMostOnce) {
  check({Capability::Finalizers}, properties::finalizers_run_at_most_once);
}
TEST_P(PropertySuite, GarbageIsTheUncollectable) {
  check({Capability::Garbage}, properties::garbage_is_the_uncollectable);
}
TEST_P(PropertySuite, CollectingEachGenerationEqualsAFullCollection) {
  check({Capability::Generations}, properties::collecting_each_generation_equals_a_full_collection);
}
TEST_P(PropertySuite, ThresholdsNeverChangeWhatSurvivesAFullCollection) {
  check({Capability::Generations}, properties::thresholds_never_change_what_survives_a_full_collection);
}
TEST_P(PropertySuite, TextBinaryRoundTripBehavesIdentically) {
  check({}, properties::text_binary_round_trip_behaves_identically);
}

}  // namespace gcv::props

// Instantiates the suite for one system, as a declaration at namespace scope
// ending in ';' (as INSTANTIATE_TEST_SUITE_P, which it wraps): `prefix` (an
// identifier) begins the tests' names, `name` (a string) ends them, and
// `make_sut` (any callable returning std::unique_ptr<gcv::Machine>) makes a
// fresh system per case. GoogleTest pastes the suite's name into identifiers
// and matches it as a string, so the macro names it unqualified, through an
// alias PropertySuite that it declares where it is used.
#define GCV_INSTANTIATE_PROPERTY_SUITE(prefix, name, make_sut)                                        \
  using PropertySuite = ::gcv::props::PropertySuite;                                                  \
  INSTANTIATE_TEST_SUITE_P(                                                                           \
      prefix, PropertySuite,                                                                          \
      ::testing::Values(::gcv::props::SystemUnderTest{name, ::gcv::props::SutFactory(make_sut)}),     \
      ::gcv::props::SystemUnderTestName())
