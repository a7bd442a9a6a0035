package conv

import (
	"fmt"
	"testing"
)

// zooLayers are convolutions of the zoo models that the GEMM paths run
// (name: model/node).
var zooLayers = []struct {
	name string
	p    Params
}{
	{"resnet18/conv1", Params{N: 1, C: 3, M: 64, Group: 1, In: []int{224, 224}, Kernel: []int{7, 7}, Out: []int{112, 112}, Strides: []int{2, 2}, Dilations: []int{1, 1}, Pads: []int{3, 3}}},
	{"resnet18/layer1", Params{N: 1, C: 64, M: 64, Group: 1, In: []int{56, 56}, Kernel: []int{3, 3}, Out: []int{56, 56}, Strides: []int{1, 1}, Dilations: []int{1, 1}, Pads: []int{1, 1}}},
	{"resnet18/layer3.0.conv1", Params{N: 1, C: 128, M: 256, Group: 1, In: []int{28, 28}, Kernel: []int{3, 3}, Out: []int{14, 14}, Strides: []int{2, 2}, Dilations: []int{1, 1}, Pads: []int{1, 1}}},
	{"resnet18/layer4", Params{N: 1, C: 512, M: 512, Group: 1, In: []int{7, 7}, Kernel: []int{3, 3}, Out: []int{7, 7}, Strides: []int{1, 1}, Dilations: []int{1, 1}, Pads: []int{1, 1}}},
	{"resnet18/downsample1x1", Params{N: 1, C: 128, M: 256, Group: 1, In: []int{28, 28}, Kernel: []int{1, 1}, Out: []int{14, 14}, Strides: []int{2, 2}, Dilations: []int{1, 1}, Pads: []int{0, 0}}},
	{"r3d_18/stem", Params{N: 1, C: 3, M: 64, Group: 1, In: []int{16, 112, 112}, Kernel: []int{3, 7, 7}, Out: []int{16, 56, 56}, Strides: []int{1, 2, 2}, Dilations: []int{1, 1, 1}, Pads: []int{1, 3, 3}}},
	{"r3d_18/layer1", Params{N: 1, C: 64, M: 64, Group: 1, In: []int{16, 56, 56}, Kernel: []int{3, 3, 3}, Out: []int{16, 56, 56}, Strides: []int{1, 1, 1}, Dilations: []int{1, 1, 1}, Pads: []int{1, 1, 1}}},
	{"r3d_18/layer3", Params{N: 1, C: 256, M: 256, Group: 1, In: []int{4, 14, 14}, Kernel: []int{3, 3, 3}, Out: []int{4, 14, 14}, Strides: []int{1, 1, 1}, Dilations: []int{1, 1, 1}, Pads: []int{1, 1, 1}}},
	{"c3d_small/f.3", Params{N: 1, C: 32, M: 64, Group: 1, In: []int{16, 28, 28}, Kernel: []int{3, 3, 3}, Out: []int{16, 28, 28}, Strides: []int{1, 1, 1}, Dilations: []int{1, 1, 1}, Pads: []int{1, 1, 1}}},
	{"alexnet/conv1", Params{N: 1, C: 3, M: 64, Group: 1, In: []int{224, 224}, Kernel: []int{11, 11}, Out: []int{55, 55}, Strides: []int{4, 4}, Dilations: []int{1, 1}, Pads: []int{2, 2}}},
	{"alexnet/conv2", Params{N: 1, C: 64, M: 192, Group: 1, In: []int{27, 27}, Kernel: []int{5, 5}, Out: []int{27, 27}, Strides: []int{1, 1}, Dilations: []int{1, 1}, Pads: []int{2, 2}}},
	{"squeezenet/conv1", Params{N: 1, C: 3, M: 64, Group: 1, In: []int{224, 224}, Kernel: []int{3, 3}, Out: []int{111, 111}, Strides: []int{2, 2}, Dilations: []int{1, 1}, Pads: []int{0, 0}}},
	{"squeezenet/expand3x3", Params{N: 1, C: 16, M: 64, Group: 1, In: []int{55, 55}, Kernel: []int{3, 3}, Out: []int{55, 55}, Strides: []int{1, 1}, Dilations: []int{1, 1}, Pads: []int{1, 1}}},
	{"seed/a-3x3s2", Params{N: 1, C: 3, M: 16, Group: 1, In: []int{227, 227}, Kernel: []int{3, 3}, Out: []int{114, 114}, Strides: []int{2, 2}, Dilations: []int{1, 1}, Pads: []int{1, 1}}},
	{"seed/b-grouped-dilated", Params{N: 1, C: 16, M: 16, Group: 4, In: []int{114, 114}, Kernel: []int{3, 3}, Out: []int{114, 114}, Strides: []int{1, 1}, Dilations: []int{2, 2}, Pads: []int{2, 2}}},
	{"seed/c-11x11s4", Params{N: 1, C: 16, M: 32, Group: 1, In: []int{114, 114}, Kernel: []int{11, 11}, Out: []int{26, 26}, Strides: []int{4, 4}, Dilations: []int{1, 1}, Pads: []int{0, 0}}},
	{"dcgan/conv1", Params{N: 4, C: 128, M: 64, Group: 1, In: []int{14, 14}, Kernel: []int{5, 5}, Out: []int{14, 14}, Strides: []int{1, 1}, Dilations: []int{1, 1}, Pads: []int{2, 2}}},
	{"dcgan/conv2-M1", Params{N: 4, C: 64, M: 1, Group: 1, In: []int{28, 28}, Kernel: []int{5, 5}, Out: []int{28, 28}, Strides: []int{1, 1}, Dilations: []int{1, 1}, Pads: []int{2, 2}}},
	{"tcn1d/body2", Params{N: 2, C: 32, M: 32, Group: 1, In: []int{256}, Kernel: []int{3}, Out: []int{256}, Strides: []int{1}, Dilations: []int{2}, Pads: []int{2}}},
	{"tcn1d/down", Params{N: 2, C: 32, M: 64, Group: 1, In: []int{256}, Kernel: []int{5}, Out: []int{128}, Strides: []int{2}, Dilations: []int{1}, Pads: []int{2}}},
}

// BenchmarkZooLayers runs each of zooLayers with its default algorithm on
// 1 and 2 threads.
func BenchmarkZooLayers(b *testing.B) {
	for _, l := range zooLayers {
		for _, th := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/t%d", l.name, th), func(b *testing.B) { benchConvThreads(b, l.p, -1, th) })
		}
	}
}

// BenchmarkZooLayersAlgos runs each of zooLayers with every candidate
// algorithm, one thread.
func BenchmarkZooLayersAlgos(b *testing.B) {
	for _, l := range zooLayers {
		for _, a := range Candidates[float32](&l.p) {
			b.Run(fmt.Sprintf("%s/%v", l.name, a), func(b *testing.B) { benchConvThreads(b, l.p, a, 1) })
		}
	}
}
