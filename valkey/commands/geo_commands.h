// Geospatial commands: GEOADD, GEODIST, GEOHASH, GEOPOS, GEOSEARCH and
// GEOSEARCHSTORE (the deprecated GEORADIUS* forms are left out: GEOSEARCH
// does everything they did). Part of the command table (see
// command_table.h): each method is the command's arguments plus its reply
// conversion, run by the executor `E` (Client, Pipeline, async client).
//
//   client.GeoAdd("shops", {{.longitude = 13.361389, .latitude = 38.115556,
//                            .member = "palermo"}});
//   absl::StatusOr<std::vector<GeoMatch>> near = client.GeoSearchWithDetails(
//       "shops", {.from_position = GeoPosition{15, 37},
//                 .radius = 200, .unit = GeoUnit::kKilometers});
//
// Positions are (longitude, latitude) in degrees, as the server stores
// them (about 0.6 m of precision). RESP2 bulk-string numbers and RESP3
// doubles convert alike.
//
// Errors: INVALID_ARGUMENT (naming the command and the argument) for bad
// arguments, before anything is sent; server error replies (WRONGTYPE,
// "ERR invalid longitude,latitude pair", "ERR could not decode requested
// zset member") as their status; DATA_LOSS for a reply of an unexpected
// shape.
//
// Thread-safety: as the executor's.

#ifndef VALKEY_COMMANDS_GEO_COMMANDS_H_
#define VALKEY_COMMANDS_GEO_COMMANDS_H_

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "valkey/commands/command_args.h"
#include "valkey/commands/key_members.h"
#include "valkey/commands/reply_convert.h"
#include "valkey/common/errors.h"
#include "valkey/common/reply.h"

namespace valkey {

struct GeoPosition {
  double longitude = 0;
  double latitude = 0;

  friend bool operator==(const GeoPosition&, const GeoPosition&) = default;
};

// A member to add, at a position.
struct GeoMember {
  double longitude = 0;
  double latitude = 0;
  std::string member;
};

enum class GeoUnit { kMeters, kKilometers, kMiles, kFeet };

struct GeoAddOptions {
  enum class Condition { kAlways, kIfNotExists, kIfExists };  // -, NX, XX
  Condition condition = Condition::kAlways;
  // CH: count changed positions too, not only added members.
  bool changed = false;
};

// GEOSEARCH's query: a centre (a member's position or a given one), a shape
// (a radius, or a box of width × height) and how to order and cut the
// matches.
struct GeoSearchQuery {
  // FROMMEMBER. Exactly one of from_member and from_position.
  std::optional<std::string> from_member;
  // FROMLONLAT.
  std::optional<GeoPosition> from_position;
  // BYRADIUS radius. Exactly one of radius and box (width, height).
  std::optional<double> radius;
  std::optional<double> box_width;
  std::optional<double> box_height;
  // The unit of radius / box and of returned distances. Default: meters.
  GeoUnit unit = GeoUnit::kMeters;
  enum class Order { kUnsorted, kNearestFirst, kFarthestFirst };  // -, ASC, DESC
  Order order = Order::kUnsorted;
  // COUNT n (> 0): at most n matches.
  std::optional<int64_t> count;
  // ANY: return as soon as `count` matches were found (not the nearest).
  bool any = false;
};

// One GEOSEARCH match with everything the server can tell about it.
struct GeoMatch {
  std::string member;
  // Distance from the centre, in the query's unit.
  double distance = 0;
  // The 52-bit geohash score the member is stored with.
  int64_t hash = 0;
  GeoPosition position;

  friend bool operator==(const GeoMatch&, const GeoMatch&) = default;
};

namespace convert {

// [longitude, latitude], nil → nullopt.
inline absl::StatusOr<std::optional<GeoPosition>> OptionalGeoPosition(
    const ReplyView& reply) {
  if (reply.is_null()) return std::optional<GeoPosition>();
  if (reply.type() != ReplyType::kArray || reply.size() != 2) {
    return WrongShape("[longitude, latitude] or nil", reply);
  }
  absl::StatusOr<double> lon = Double(reply[0]);
  absl::StatusOr<double> lat = Double(reply[1]);
  if (!lon.ok()) return lon.status();
  if (!lat.ok()) return lat.status();
  return std::optional<GeoPosition>(GeoPosition{*lon, *lat});
}

// GEOPOS: one position or nil per member.
inline absl::StatusOr<std::vector<std::optional<GeoPosition>>>
OptionalGeoPositions(const ReplyView& reply) {
  if (reply.type() != ReplyType::kArray) {
    return WrongShape("an array of positions", reply);
  }
  std::vector<std::optional<GeoPosition>> out;
  out.reserve(reply.size());
  for (ReplyView element : reply) {
    absl::StatusOr<std::optional<GeoPosition>> p =
        OptionalGeoPosition(element);
    if (!p.ok()) return p.status();
    out.push_back(*p);
  }
  return out;
}

// GEOSEARCH ... WITHDIST WITHHASH WITHCOORD: [member, dist, hash, [lon,
// lat]] per match.
inline absl::StatusOr<std::vector<GeoMatch>> GeoMatches(
    const ReplyView& reply) {
  if (reply.type() != ReplyType::kArray) {
    return WrongShape("an array of geo matches", reply);
  }
  std::vector<GeoMatch> out;
  out.reserve(reply.size());
  for (ReplyView element : reply) {
    if (element.type() != ReplyType::kArray || element.size() != 4 ||
        !element[0].is_string() || element[0].is_error() ||
        element[2].type() != ReplyType::kInteger) {
      return WrongShape("[member, distance, hash, [longitude, latitude]]",
                        element);
    }
    absl::StatusOr<double> distance = Double(element[1]);
    if (!distance.ok()) return distance.status();
    absl::StatusOr<std::optional<GeoPosition>> position =
        OptionalGeoPosition(element[3]);
    if (!position.ok()) return position.status();
    if (!position->has_value()) {
      return WrongShape("a match with a position", element);
    }
    out.push_back(GeoMatch{std::string(element[0].str()), *distance,
                           element[2].integer(), **position});
  }
  return out;
}

}  // namespace convert

namespace internal {

inline const char* GeoUnitName(GeoUnit unit) {
  switch (unit) {
    case GeoUnit::kMeters:
      return "m";
    case GeoUnit::kKilometers:
      return "km";
    case GeoUnit::kMiles:
      return "mi";
    case GeoUnit::kFeet:
      return "ft";
  }
  return "m";
}

// Appends the query of GEOSEARCH / GEOSEARCHSTORE after the key(s).
inline absl::Status AppendGeoQuery(absl::string_view command,
                                   const GeoSearchQuery& q,
                                   CommandArgs& args) {
  if (q.from_member.has_value() == q.from_position.has_value()) {
    return InvalidArgumentError(absl::StrCat(
        command, ": give exactly one of from_member and from_position"));
  }
  const bool box = q.box_width.has_value() || q.box_height.has_value();
  if (q.radius.has_value() == box ||
      (box && !(q.box_width.has_value() && q.box_height.has_value()))) {
    return InvalidArgumentError(absl::StrCat(
        command, ": give either radius or both box_width and box_height"));
  }
  for (double d : {q.radius.value_or(0), q.box_width.value_or(0),
                   q.box_height.value_or(0)}) {
    if (!std::isfinite(d) || d < 0) {
      return InvalidArgumentError(absl::StrCat(
          command, ": radius and box sides must be finite and >= 0"));
    }
  }
  if (q.count.has_value() && *q.count <= 0) {
    return InvalidArgumentError(
        absl::StrCat(command, ": count must be > 0, got ", *q.count));
  }
  if (q.any && !q.count.has_value()) {
    return InvalidArgumentError(absl::StrCat(command, ": any needs count"));
  }
  if (q.from_member.has_value()) {
    args.push_back("FROMMEMBER");
    args.push_back(*q.from_member);
  } else {
    args.push_back("FROMLONLAT");
    args.push_back(q.from_position->longitude);
    args.push_back(q.from_position->latitude);
  }
  if (q.radius.has_value()) {
    args.push_back("BYRADIUS");
    args.push_back(*q.radius);
  } else {
    args.push_back("BYBOX");
    args.push_back(*q.box_width);
    args.push_back(*q.box_height);
  }
  args.push_back(GeoUnitName(q.unit));
  if (q.order == GeoSearchQuery::Order::kNearestFirst) args.push_back("ASC");
  if (q.order == GeoSearchQuery::Order::kFarthestFirst) args.push_back("DESC");
  if (q.count.has_value()) {
    args.push_back("COUNT");
    args.push_back(*q.count);
    if (q.any) args.push_back("ANY");
  }
  return absl::OkStatus();
}

}  // namespace internal

template <typename E, template <typename> class Result>
class GeoCommands {
 public:
  // GEOADD key [NX|XX] [CH] longitude latitude member ... → how many members
  // were added (with `changed`: added or moved). INVALID_ARGUMENT: no
  // members, or NX with XX.
  Result<int64_t> GeoAdd(absl::string_view key,
                         absl::Span<const GeoMember> members,
                         const GeoAddOptions& options = {}) {
    if (members.empty()) {
      return self().template Fail<int64_t>(
          InvalidArgumentError("GEOADD: needs at least one member"));
    }
    CommandArgs args{"GEOADD", key};
    args.reserve(3 * members.size() + 4);
    if (options.condition == GeoAddOptions::Condition::kIfNotExists) {
      args.push_back("NX");
    } else if (options.condition == GeoAddOptions::Condition::kIfExists) {
      args.push_back("XX");
    }
    if (options.changed) args.push_back("CH");
    for (const GeoMember& m : members) {
      args.push_back(m.longitude);
      args.push_back(m.latitude);
      args.push_back(m.member);
    }
    return self().template RunArgs<int64_t>(&convert::Integer, args.span());
  }
  // GEODIST key member1 member2 [unit] → the distance, or nullopt when a
  // member (or the key) is missing.
  Result<std::optional<double>> GeoDist(absl::string_view key,
                                        absl::string_view member1,
                                        absl::string_view member2,
                                        GeoUnit unit = GeoUnit::kMeters) {
    return self().template Run<std::optional<double>>(
        &convert::OptionalDouble, "GEODIST", key, member1, member2,
        internal::GeoUnitName(unit));
  }
  // GEOHASH key member... → each member's 11-character geohash, nullopt for
  // a missing member.
  Result<std::vector<std::optional<std::string>>> GeoHash(
      absl::string_view key, absl::Span<const std::string> members) {
    return internal::RunKeyMembers<std::vector<std::optional<std::string>>>(
        self(), "GEOHASH", key, members, &convert::OptionalStringList);
  }
  // GEOPOS key member... → each member's position, nullopt for a missing
  // member.
  Result<std::vector<std::optional<GeoPosition>>> GeoPos(
      absl::string_view key, absl::Span<const std::string> members) {
    return internal::RunKeyMembers<std::vector<std::optional<GeoPosition>>>(
        self(), "GEOPOS", key, members, &convert::OptionalGeoPositions);
  }
  // GEOSEARCH key <query> → the matching members.
  Result<std::vector<std::string>> GeoSearch(absl::string_view key,
                                             const GeoSearchQuery& query) {
    using Value = std::vector<std::string>;
    CommandArgs args{"GEOSEARCH", key};
    absl::Status s = internal::AppendGeoQuery("GEOSEARCH", query, args);
    if (!s.ok()) return self().template Fail<Value>(std::move(s));
    return self().template RunArgs<Value>(&convert::StringList, args.span());
  }
  // GEOSEARCH key <query> WITHDIST WITHHASH WITHCOORD → the matches with
  // their distance, geohash and position.
  Result<std::vector<GeoMatch>> GeoSearchWithDetails(
      absl::string_view key, const GeoSearchQuery& query) {
    using Value = std::vector<GeoMatch>;
    CommandArgs args{"GEOSEARCH", key};
    absl::Status s = internal::AppendGeoQuery("GEOSEARCH", query, args);
    if (!s.ok()) return self().template Fail<Value>(std::move(s));
    args.push_back("WITHDIST");
    args.push_back("WITHHASH");
    args.push_back("WITHCOORD");
    return self().template RunArgs<Value>(&convert::GeoMatches, args.span());
  }
  // GEOSEARCHSTORE destination source <query> [STOREDIST] → how many
  // matches were stored in destination (a sorted set scored by geohash,
  // or by distance with `store_distance`).
  Result<int64_t> GeoSearchStore(absl::string_view destination,
                                 absl::string_view source,
                                 const GeoSearchQuery& query,
                                 bool store_distance = false) {
    CommandArgs args{"GEOSEARCHSTORE", destination, source};
    absl::Status s = internal::AppendGeoQuery("GEOSEARCHSTORE", query, args);
    if (!s.ok()) return self().template Fail<int64_t>(std::move(s));
    if (store_distance) args.push_back("STOREDIST");
    return self().template RunArgs<int64_t>(&convert::Integer, args.span());
  }

 private:
  E& self() { return static_cast<E&>(*this); }
};

}  // namespace valkey

#endif  // VALKEY_COMMANDS_GEO_COMMANDS_H_
