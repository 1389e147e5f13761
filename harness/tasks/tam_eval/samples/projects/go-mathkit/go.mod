module example.com/mathkit

go 1.19
