#!/bin/sh
# Doxygen INPUT_FILTER: Keel's plain `//` contract comments become Doxygen docs.
# A line that is only a `//` comment becomes `///` (documents the next
# declaration); a `//` comment after a declaration on the same line (and no
# string literal) becomes `///<` (documents that declaration). Line numbers stay.
exec sed -E \
  -e 's#^([[:space:]]*)//([^/])#\1///\2#' \
  -e 's#^([[:space:]]*//)$#\1/#' \
  -e '/"/!s#^([[:space:]]*[^/[:space:]].*[;,{])[[:space:]]*//[[:space:]]?([^/<].*)$#\1 ///< \2#' \
  "$1"
