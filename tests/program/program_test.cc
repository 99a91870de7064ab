// Ops compare by the fields their opcode reads; programs intern names up to
// the limit; machine.h's observation types print as reports spell them.
#include <gtest/gtest.h>

#include "gcverify/machine.h"
#include "gcverify/program.h"

namespace gcv {
namespace {

TEST(OpEquality, IgnoresLocationAndFieldsTheOpcodeDoesNotRead) {
  Op x = Op::of(OpCode::Unbind);
  Op y = x;
  y.where = {7, 3};
  y.source = 5;
  y.index = 9;
  y.size = 100;
  y.value = -4;
  y.values = {1, 2, 3};
  y.generation = 0;
  y.object = {true, 8};
  EXPECT_EQ(x, y);
  y.target = 1;
  EXPECT_NE(x, y);
  EXPECT_NE(Op::of(OpCode::Enable), Op::of(OpCode::Disable));
}

TEST(OpEquality, ComparesEveryFieldTheOpcodeReads) {
  struct Field {
    OpCode code;
    void (*change)(Op&);
  };
  const Field fields[] = {
      {OpCode::NewContainer, [](Op& o) { o.target = 1; }},
      {OpCode::NewStr, [](Op& o) { o.size = 17; }},
      {OpCode::NewInt, [](Op& o) { o.value = 3; }},
      {OpCode::Bind, [](Op& o) { o.source = 2; }},
      {OpCode::LoadSlot, [](Op& o) { o.index = 2; }},
      {OpCode::Append, [](Op& o) { o.source = 2; }},
      {OpCode::SetSlot, [](Op& o) { o.index = 2; }},
      {OpCode::RemoveSlot, [](Op& o) { o.index = 2; }},
      {OpCode::Cycle, [](Op& o) { o.count = 2; }},
      {OpCode::Chain, [](Op& o) { o.size = 64; }},
      {OpCode::Clique, [](Op& o) { o.target = 3; }},
      {OpCode::Collect, [](Op& o) { o.generation = 1; }},
      {OpCode::Collect, [](Op& o) { o.has_expected = true; }},
      {OpCode::SetThreshold, [](Op& o) { o.arity = 2; }},
      {OpCode::SetThreshold, [](Op& o) { o.values[2] = 5; }},
      {OpCode::ExpectCount, [](Op& o) { o.values[2] = 5; }},
      {OpCode::ExpectThreshold, [](Op& o) { o.values[0] = 5; }},
      {OpCode::ExpectAlive, [](Op& o) { o.object.by_serial = true; }},
      {OpCode::ExpectDead, [](Op& o) { o.object.value = 4; }},
      {OpCode::ExpectRefcount, [](Op& o) { o.value = 4; }},
      {OpCode::ExpectGeneration, [](Op& o) { o.generation = kPermanentGeneration; }},
      {OpCode::ExpectFreezeCount, [](Op& o) { o.value = 4; }},
      {OpCode::ExpectLive, [](Op& o) { o.value = 4; }},
      {OpCode::SetFinalizer, [](Op& o) { o.target = 1; }},
      {OpCode::SetFinalizer, [](Op& o) { o.body.emplace_back(); }},
      {OpCode::SetLegacyFinalizer, [](Op& o) { o.target = 1; }},
      {OpCode::NewWeakref, [](Op& o) { o.target = 1; }},
      {OpCode::NewWeakref, [](Op& o) { o.source = 1; }},
      {OpCode::NewWeakref, [](Op& o) { o.has_body = true; }},  // an empty callback is a callback
      {OpCode::Clear, [](Op& o) { o.target = 1; }},
      {OpCode::Deref, [](Op& o) { o.target = 1; }},
      {OpCode::Deref, [](Op& o) { o.source = 1; }},
      {OpCode::SetDebug, [](Op& o) { o.value = 1; }},
      {OpCode::LoadGarbage, [](Op& o) { o.target = 1; }},
      {OpCode::LoadGarbage, [](Op& o) { o.index = 1; }},
      {OpCode::ExpectGarbage, [](Op& o) { o.value = 1; }},
      {OpCode::ExpectFinalized, [](Op& o) { o.object.value = 1; }},
      {OpCode::ExpectNotFinalized, [](Op& o) { o.object.by_serial = true; }},
  };
  for (const Field& field : fields) {
    Op x = Op::of(field.code);
    Op y = x;
    field.change(y);
    EXPECT_NE(x, y) << "opcode " << static_cast<int>(field.code);
  }
}

TEST(OpEquality, BodiesMatterOnlyForFinalizersAndWeakrefs) {
  for (OpCode code : {OpCode::Unbind, OpCode::SetLegacyFinalizer, OpCode::Deref, OpCode::ClearGarbage,
                      OpCode::ExpectFinalized}) {
    Op x = Op::of(code);
    Op y = x;
    y.body = {Op{}};
    y.has_body = true;
    EXPECT_EQ(x, y) << "opcode " << static_cast<int>(code);
  }
  Op x = Op::of(OpCode::SetFinalizer);
  Op unbind = Op::of(OpCode::Unbind);
  unbind.target = 1;
  x.body = {unbind, Op::of(OpCode::Collect)};
  Op y = x;
  std::swap(y.body[0], y.body[1]);
  EXPECT_NE(x, y);  // a body is a sequence
  y = x;
  y.body.back().target = 7;  // a collect reads no name
  EXPECT_EQ(x, y);
  y.body.front().target = 7;
  EXPECT_NE(x, y);
  y = x;
  y.has_body = !x.has_body;  // a finalizer always has its body
  EXPECT_EQ(x, y);
}

// A weakref's callback that does nothing is a callback (it runs: an event),
// not the absence of one.
TEST(OpEquality, AnEmptyCallbackIsNotNoCallback) {
  Op none = Op::of(OpCode::NewWeakref);
  Op empty = none;
  empty.has_body = true;
  EXPECT_NE(none, empty);
  EXPECT_FALSE(has_body(none));
  EXPECT_TRUE(has_body(empty));
  EXPECT_TRUE(has_body(Op::of(OpCode::SetFinalizer)));
  EXPECT_FALSE(has_body(Op::of(OpCode::Bind)));
}

// The rows a body may hold are the name-level operations that make sense in
// __del__ or a callback; program.h numbers them apart for the binary form.
TEST(BodyVocabulary, IsTheNameLevelOperations) {
  std::vector<OpCode> expected = {OpCode::NewContainer, OpCode::NewStr,     OpCode::NewInt,  OpCode::Bind,
                                  OpCode::LoadSlot,     OpCode::Unbind,     OpCode::Append,  OpCode::SetSlot,
                                  OpCode::RemoveSlot,   OpCode::Collect,    OpCode::NewWeakref, OpCode::Deref,
                                  OpCode::Clear};
  EXPECT_EQ(std::vector<OpCode>(kBodyOpCodes.begin(), kBodyOpCodes.end()), expected);
  for (OpCode code : kBodyOpCodes) EXPECT_FALSE(is_expectation(code));
  EXPECT_TRUE(may_be_self(Field::List));
  EXPECT_TRUE(may_be_self(Field::Source));
  EXPECT_TRUE(may_be_self(Field::SourceList));
  EXPECT_TRUE(may_be_self(Field::Weakref));
  EXPECT_FALSE(may_be_self(Field::Target));
  EXPECT_FALSE(may_be_self(Field::Name));  // del self: no
}

TEST(OpEquality, CollectResultAndThresholdValuesMatterOnlyWhenUsed) {
  Op x = Op::of(OpCode::Collect);
  Op y = x;
  y.value = 12;
  EXPECT_EQ(x, y);  // no expectation: the result is not read
  x.has_expected = y.has_expected = true;
  EXPECT_NE(x, y);

  Op t = Op::of(OpCode::SetThreshold);
  t.arity = 1;
  t.values = {700, 0, 0};
  Op u = t;
  u.values = {700, 10, 10};
  EXPECT_EQ(t, u);  // values beyond the arity are not read
  u.values[0] = 701;
  EXPECT_NE(t, u);
}

TEST(Program, InternReturnsExistingIndicesAndStopsAtTheLimit) {
  Program program;
  NameIndex i = 99;
  ASSERT_TRUE(program.intern("x", i));
  EXPECT_EQ(i, 0u);
  ASSERT_TRUE(program.intern("y", i));
  EXPECT_EQ(i, 1u);
  ASSERT_TRUE(program.intern("x", i));
  EXPECT_EQ(i, 0u);
  for (std::size_t n = 2; n < kMaxNames; ++n) ASSERT_TRUE(program.intern("n" + std::to_string(n), i));
  EXPECT_EQ(program.names.size(), kMaxNames);
  EXPECT_FALSE(program.intern("one_more", i));
  EXPECT_EQ(program.names.size(), kMaxNames);
  EXPECT_TRUE(program.intern("y", i));  // existing names still resolve at the limit
  EXPECT_EQ(i, 1u);
}

TEST(Machine, ObjectKeysAndKindsPrint) {
  EXPECT_EQ(ObjectKey::serial(12).to_string(), "#12");
  EXPECT_EQ(ObjectKey::small_int(5).to_string(), "int(5)");
  EXPECT_EQ(ObjectKey::small_int(kSmallIntMin).to_string(), "int(-5)");
  EXPECT_EQ(ObjectKey::small_int(kSmallIntMax).to_string(), "int(256)");
  EXPECT_STREQ(to_string(ObjectKind::Container), "list");
  EXPECT_STREQ(to_string(ObjectKind::Str), "str");
  EXPECT_STREQ(to_string(ObjectKind::Int), "int");
  EXPECT_STREQ(to_string(ObjectKind::Weakref), "weakref");
}

TEST(Machine, WeakrefsAndFinalizersPrintTheirState) {
  ObjectState weakref;
  weakref.key = ObjectKey::serial(4);
  weakref.kind = ObjectKind::Weakref;
  weakref.refcount = 1;
  weakref.generation = 0;
  weakref.referent = ObjectKey::serial(2);
  EXPECT_EQ(to_string(weakref), "#4 weakref refcount 1 generation 0 referent #2");
  weakref.referent = ObjectKey{};
  EXPECT_EQ(to_string(weakref), "#4 weakref refcount 1 generation 0 referent none");
  ObjectState list;
  list.key = ObjectKey::serial(2);
  list.kind = ObjectKind::Container;
  list.refcount = 0;
  list.generation = 1;
  list.payload = 16;
  list.has_finalizer = true;
  EXPECT_EQ(to_string(list), "#2 list refcount 0 generation 1 payload 16 slots {} finalizer pending");
  list.finalized = true;
  EXPECT_EQ(to_string(list), "#2 list refcount 0 generation 1 payload 16 slots {} finalized");
}

TEST(ForEachName, VisitsTheNamesOfTheBodyButNeverSelf) {
  Op op = Op::of(OpCode::SetFinalizer);
  op.target = 0;
  Op load = Op::of(OpCode::LoadSlot), deref = Op::of(OpCode::Deref), clear = Op::of(OpCode::Clear),
     append = Op::of(OpCode::Append);
  load.target = 1, load.source = 2, load.index = 5;
  deref.target = 3, deref.source = 4;
  clear.target = kSelf;
  append.target = 5, append.source = kSelf;
  op.body = {load, deref, clear, append, Op::of(OpCode::Collect)};
  std::vector<NameIndex> seen;
  for_each_name(op, [&](NameIndex& name) {
    seen.push_back(name);
    name += 10;
  });
  EXPECT_EQ(seen, (std::vector<NameIndex>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(op.body[0].source, 12u);  // renamed in place
  EXPECT_EQ(op.body[1].source, 14u);
  EXPECT_EQ(op.body[0].index, 5u);
  EXPECT_EQ(op.body[2].target, kSelf);
  EXPECT_EQ(op.body[3].source, kSelf);
}

}  // namespace
}  // namespace gcv
