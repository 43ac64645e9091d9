// The families of workloads/specs/accuracy.json: train.fmnist_cnn,
// train.fmnist_dws, train.fmnist_dws_student (a training step of a model
// trained on Fashion-MNIST), and acc.fmnist_cnn, acc.fmnist_dws (the trained
// model in fp32, int8 and pruned, judged on the test set),
// acc.fmnist_dws_student and acc.fmnist_dws_student_kd (a small student
// trained on labels alone, and distilled from fmnist_dws).
#pragma once

#include <vector>

#include "workloads/family.h"

namespace effbench::workloads::train {

std::vector<Family> MakeFamilies();

}  // namespace effbench::workloads::train
