// Range checks, section validation and per-page permission planning behind
// TextPatcher and ExecRegion; the logic lives in the checked library
// (lib/section_plan.h).
#ifndef OSTD_PATCH_SECTION_PLAN_H_
#define OSTD_PATCH_SECTION_PLAN_H_

#include "lib/section_plan.h"

namespace ostd::patch {

using klib::IsExecutable;
using klib::IsWritable;
using klib::PagePerm;
using klib::PagePermission;
using klib::PagesWithGuard;
using klib::RangeWithin;
using klib::Section;
using klib::SectionKind;
using klib::ValidateSections;

}  // namespace ostd::patch

#endif  // OSTD_PATCH_SECTION_PLAN_H_
