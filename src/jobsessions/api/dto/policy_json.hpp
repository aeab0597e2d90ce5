// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "jobsessions/api/base_url.hpp"
#include "jobsessions/api/json_input.hpp"
#include "jobsessions/domain/policy.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <vector>

namespace jobsessions::api::dto {

/// A policy as the API shows it, with `_links` to itself, its start and its sessions.
std::string policy_json(const domain::Policy& policy, const BaseUrl& base);

/// `{"totalCount":n,"results":[...]}` of policies.
std::string policies_json(const std::vector<domain::Policy>& policies, const BaseUrl& base);

/// A policy definition from a request body: absent members take their defaults; `id`, `usn` and `_links` are
/// ignored. Bad members are recorded in the reader's errors.
domain::Policy read_policy(FieldReader& reader, const boost::json::object& body);

} // namespace jobsessions::api::dto
