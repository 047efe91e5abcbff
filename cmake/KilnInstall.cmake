#===- cmake/KilnInstall.cmake - cmake --install and the CMake package -----===#
#
# `cmake --install build --prefix P` puts Kiln's tools, libraries, headers
# (the generated .inc files included), TableGen sources and the CMake
# package (P/lib/cmake/kiln/KilnConfig.cmake, targets Kiln::*) under P.
# examples/embed builds against it; test/Install/embed.test checks that.
#
#===----------------------------------------------------------------------===#
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The libraries an embedding compiler links, and what they need.
set(KILN_EXPORTED_LIBRARIES
  KilnSupport KilnDialect KilnAnalysis KilnSolvers KilnTraining KilnPasses
  KilnImport KilnToLinalg KilnExport KilnCodegenCPU KilnCodegenCUDA
  KilnRuntime KilnCUDARuntime KilnArtifactSupport KilnCAPI)
foreach(lib ${KILN_EXPORTED_LIBRARIES})
  # Headers at <prefix>/include for every consumer of the installed target.
  target_include_directories(${lib} INTERFACE
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
endforeach()
install(TARGETS ${KILN_EXPORTED_LIBRARIES}
  EXPORT KilnTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  COMPONENT kiln-libraries)

# Headers: the sources, then what TableGen generated into the build tree.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/kiln
                  ${PROJECT_SOURCE_DIR}/include/kiln-c
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT kiln-headers
  FILES_MATCHING PATTERN "*.h")
install(DIRECTORY ${PROJECT_BINARY_DIR}/include/kiln
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  COMPONENT kiln-headers
  FILES_MATCHING PATTERN "*.inc" PATTERN "*.h"
  PATTERN "CMakeFiles" EXCLUDE)
# TableGen sources, for projects that write their own ops against kiln's
# interfaces or declare passes next to kiln's.
set(KILN_INSTALL_TDDIR ${CMAKE_INSTALL_INCLUDEDIR}/kiln/TableGen)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/dialects/
  DESTINATION ${KILN_INSTALL_TDDIR}
  COMPONENT kiln-headers
  FILES_MATCHING PATTERN "*.td")

set(KILN_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/kiln)
install(EXPORT KilnTargets
  NAMESPACE Kiln::
  DESTINATION ${KILN_INSTALL_CMAKEDIR}
  COMPONENT kiln-cmake)
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/KilnConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/KilnConfig.cmake
  INSTALL_DESTINATION ${KILN_INSTALL_CMAKEDIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR KILN_INSTALL_TDDIR)
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/cmake/KilnConfigVersion.cmake
  VERSION ${PROJECT_VERSION}
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/KilnConfig.cmake
              ${PROJECT_BINARY_DIR}/cmake/KilnConfigVersion.cmake
  DESTINATION ${KILN_INSTALL_CMAKEDIR}
  COMPONENT kiln-cmake)
