# Finds OpenCV's dnn and core modules and defines the target opencv_dnn_libs (headers as system
# headers), setting OPENCV_DNN_FOUND. OpenCV's own CMake package (OpenCVConfig.cmake) comes with
# Debian's libopencv-dev, not with libopencv-dnn-dev: without it, the headers and the two
# libraries are looked up directly.
if(TARGET opencv_dnn_libs)
  set(OPENCV_DNN_FOUND TRUE)
  return()
endif()
# -DCMAKE_DISABLE_FIND_PACKAGE_OpenCV=ON leaves ONNX out altogether (the direct look-up too), as
# scripts/main.sh does to keep its build short.
if(CMAKE_DISABLE_FIND_PACKAGE_OpenCV)
  set(OPENCV_DNN_FOUND FALSE)
  return()
endif()
find_package(OpenCV QUIET COMPONENTS dnn core)
if(OpenCV_FOUND)
  add_library(opencv_dnn_libs INTERFACE IMPORTED)
  set_target_properties(opencv_dnn_libs PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${OpenCV_INCLUDE_DIRS}"
                                                   INTERFACE_LINK_LIBRARIES "${OpenCV_LIBS}")
  set(OPENCV_DNN_FOUND TRUE)
  return()
endif()
find_path(OPENCV_DNN_INCLUDE_DIR opencv2/dnn.hpp PATH_SUFFIXES opencv4)
find_library(OPENCV_DNN_LIBRARY opencv_dnn)
find_library(OPENCV_CORE_LIBRARY opencv_core)
if(OPENCV_DNN_INCLUDE_DIR AND OPENCV_DNN_LIBRARY AND OPENCV_CORE_LIBRARY)
  add_library(opencv_dnn_libs INTERFACE IMPORTED)
  set_target_properties(opencv_dnn_libs PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${OPENCV_DNN_INCLUDE_DIR}"
                                                   INTERFACE_LINK_LIBRARIES "${OPENCV_DNN_LIBRARY};${OPENCV_CORE_LIBRARY}")
  set(OPENCV_DNN_FOUND TRUE)
else()
  set(OPENCV_DNN_FOUND FALSE)
endif()
