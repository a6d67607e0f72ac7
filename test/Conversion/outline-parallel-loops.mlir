// A loop marked seqc.parallel becomes a call of the runtime's parallel-for:
// its body moves to a private function over a range of iterations, and the
// values it uses from outside travel in a context struct allocated once at
// the function's entry. Constants are cloned into the body; a loop with
// results or without the mark stays as it is.
// RUN: seqc-opt %s --seqc-outline-parallel-loops -split-input-file | FileCheck %s

// CHECK-LABEL: func.func private @scale_parallel0
// CHECK-SAME:    (%[[CTX:.*]]: !llvm.ptr, %[[BEGIN:.*]]: i64, %[[END:.*]]: i64)
// CHECK:         %[[F0:.*]] = llvm.getelementptr %[[CTX]][0, 0] : (!llvm.ptr) -> !llvm.ptr, !llvm.struct<(struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>, f32, i64)>
// CHECK:         %[[D:.*]] = llvm.load %[[F0]]
// CHECK:         %[[M:.*]] = builtin.unrealized_conversion_cast %[[D]] : !llvm.struct<{{.*}}> to memref<?x8xf32>
// CHECK:         %[[S:.*]] = llvm.load {{.*}} : !llvm.ptr -> f32
// CHECK:         %[[LB:.*]] = arith.index_cast %{{.*}} : i64 to index
// CHECK-DAG:     %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:     %[[STEP:.*]] = arith.constant 2 : index
// CHECK:         %[[B:.*]] = arith.index_cast %[[BEGIN]] : i64 to index
// CHECK:         %[[E:.*]] = arith.index_cast %[[END]] : i64 to index
// CHECK:         scf.for %[[K:.*]] = %[[B]] to %[[E]] step %{{.*}} {
// CHECK:           %[[KS:.*]] = arith.muli %[[K]], %[[STEP]]
// CHECK:           %[[I:.*]] = arith.addi %[[LB]], %[[KS]]
// CHECK:           memref.load %[[M]][%[[I]], %[[C0]]]
// CHECK:           arith.mulf %{{.*}}, %[[S]]
// CHECK:           memref.store
// CHECK:         return

// CHECK-LABEL: func.func @scale
// CHECK-SAME:    (%[[X:.*]]: memref<?x8xf32>, %[[SC:.*]]: f32, %[[LO:.*]]: index, %[[HI:.*]]: index)
// CHECK:         %[[CONTEXT:.*]] = llvm.alloca %{{.*}} x !llvm.struct<(struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>, f32, i64)>
// CHECK:         %[[DESC:.*]] = builtin.unrealized_conversion_cast %[[X]] : memref<?x8xf32> to !llvm.struct
// CHECK:         llvm.store %[[DESC]]
// CHECK:         llvm.store %[[SC]]
// CHECK:         %[[WORK:.*]] = arith.constant 4 : i64
// CHECK:         %[[BODY:.*]] = constant @scale_parallel0 : (!llvm.ptr, i64, i64) -> ()
// CHECK:         call @seqc_parallel_for(%[[BODY]], %[[CONTEXT]], %{{.*}}, %[[WORK]])
// CHECK-NOT:     scf.for
// CHECK:         return
// CHECK:       func.func private @seqc_parallel_for((!llvm.ptr, i64, i64) -> (), !llvm.ptr, i64, i64)
func.func @scale(%x: memref<?x8xf32>, %s: f32, %lo: index, %hi: index) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  scf.for %i = %lo to %hi step %c2 {
    %v = memref.load %x[%i, %c0] : memref<?x8xf32>
    %w = arith.mulf %v, %s : f32
    memref.store %w, %x[%i, %c0] : memref<?x8xf32>
  } {seqc.parallel}
  return
}

// -----

// Unmarked loops stay.
// CHECK-LABEL: func.func @sequential
// CHECK:         scf.for
// CHECK-NOT:     seqc_parallel_for
func.func @sequential(%x: memref<8xf32>, %s: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %i = %c0 to %c8 step %c1 {
    memref.store %s, %x[%i] : memref<8xf32>
  }
  return
}
